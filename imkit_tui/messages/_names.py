"""Object-name constants of every built-in RongCloud message type."""

from __future__ import annotations

from typing import Final

# Content messages: stored, counted as unread, pushed.
TEXT: Final = "RC:TxtMsg"
VOICE: Final = "RC:HQVCMsg"
VOICE_LEGACY: Final = "RC:VcMsg"
IMAGE: Final = "RC:ImgMsg"
GIF: Final = "RC:GIFMsg"
RICH_CONTENT: Final = "RC:ImgTextMsg"
FILE: Final = "RC:FileMsg"
LOCATION: Final = "RC:LBSMsg"
SIGHT: Final = "RC:SightMsg"
COMBINE: Final = "RC:CombineMsg"
PS_ARTICLE: Final = "RC:PSImgTxtMsg"
PS_MULTI_ARTICLE: Final = "RC:PSMultiImgTxtMsg"

# Notification messages.
INFO_NTF: Final = "RC:InfoNtf"
CONTACT_NTF: Final = "RC:ContactNtf"
PROFILE_NTF: Final = "RC:ProfileNtf"
CMD_NTF: Final = "RC:CmdNtf"
GROUP_NTF: Final = "RC:GrpNtf"
READ_NTF: Final = "RC:ReadNtf"
PS_CMD: Final = "RC:PSCmd"
CMD: Final = "RC:CmdMsg"
CHATROOM_KV_NTF: Final = "RC:chrmKVNotiMsg"

# Status messages.
TYPING: Final = "RC:TypSts"
READ_RECEIPT_RESPONSE: Final = "RC:RRRspMsg"

# Signalling: audio/video calls.
CALL_ACCEPT: Final = "RC:VCAccept"
CALL_HANGUP: Final = "RC:VCHangup"
CALL_INVITE: Final = "RC:VCInvite"
CALL_MODIFY_MEDIA: Final = "RC:VCModifyMedia"
CALL_MODIFY_MEMBER: Final = "RC:VCModifyMem"
CALL_RINGING: Final = "RC:VCRinging"

# Signalling: customer service. (RongCloud spells the first one "CSCha".)
CS_CHANGE_MODE: Final = "RC:CSCha"
CS_CHANGE_MODE_RESPONSE: Final = "RC:CsChaR"
CS_HANDSHAKE: Final = "RC:CsHs"
CS_HANDSHAKE_RESPONSE: Final = "RC:CsHsR"
CS_SUSPEND: Final = "RC:CsSp"
CS_END: Final = "RC:CsEnd"
CS_UPDATE: Final = "RC:CsUpdate"
CS_PULL_EVALUATION: Final = "RC:CsPullEva"
CS_EVALUATION: Final = "RC:CsEva"
CS_PULL_LEAVE_MESSAGE: Final = "RC:CsPLM"
CS_LEAVE_MESSAGE: Final = "RC:CsLM"

# Signalling: read receipts and others.
SYNC_READ_STATUS: Final = "RC:SRSMsg"
READ_RECEIPT_REQUEST: Final = "RC:RRReqMsg"
USER_INFO_UPDATE: Final = "RC:UIUMsg"
RECALL: Final = "RC:RcCmd"
# imkit's own: the event of an edit (ultra groups), with its own seq, pointing at the
# message it replaces the content of (protocol/ultra_frames.py EDIT_OBJECT_NAME).
EDIT: Final = "imkit:EditCmd"

# What a recalled message becomes (the original content is gone), and imkit's own
# tombstone of a message its reader deleted for themself; neither is ever sent.
RECALL_NTF: Final = "RC:RcNtf"
DELETED: Final = "imkit:Deleted"

# Call media types used by the call signalling messages (RongCloud values).
MEDIA_AUDIO: Final = 1
MEDIA_VIDEO: Final = 2
