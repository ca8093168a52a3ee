"""Public service accounts (conversation types 7 and 8): the accounts and their followers
in the store (accounts.py), and what the server does with them (service.py): post an
account's article to its followers, and carry a follower's menu command or text to the
account's backend through message routing.
"""
