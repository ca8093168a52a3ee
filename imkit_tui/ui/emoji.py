"""Emoji shortcodes (``:smile:``, ``:+1:``…) with GitHub/Slack names.

Pure functions over a built-in table, no I/O: :func:`expand_shortcodes` turns the
shortcodes of a message into emoji before it is sent, :func:`complete` lists the
shortcodes that start with what the user typed, for an autocomplete popup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["SHORTCODES", "complete", "expand_shortcodes", "lookup"]

# Ordered roughly by how often people use them: complete() keeps this order among
# equally good matches, so the popular ones come first.
_TABLE: dict[str, str] = {
    # Faces
    "smile": "😄",
    "smiley": "😃",
    "grinning": "😀",
    "grin": "😁",
    "joy": "😂",
    "rofl": "🤣",
    "laughing": "😆",
    "satisfied": "😆",
    "sweat_smile": "😅",
    "wink": "😉",
    "blush": "😊",
    "slightly_smiling_face": "🙂",
    "slight_smile": "🙂",
    "upside_down_face": "🙃",
    "innocent": "😇",
    "heart_eyes": "😍",
    "star_struck": "🤩",
    "kissing_heart": "😘",
    "kissing": "😗",
    "yum": "😋",
    "stuck_out_tongue": "😛",
    "stuck_out_tongue_winking_eye": "😜",
    "zany_face": "🤪",
    "money_mouth_face": "🤑",
    "hugs": "🤗",
    "hugging_face": "🤗",
    "hand_over_mouth": "🤭",
    "shushing_face": "🤫",
    "thinking": "🤔",
    "thinking_face": "🤔",
    "zipper_mouth_face": "🤐",
    "raised_eyebrow": "🤨",
    "neutral_face": "😐",
    "expressionless": "😑",
    "no_mouth": "😶",
    "smirk": "😏",
    "unamused": "😒",
    "roll_eyes": "🙄",
    "grimacing": "😬",
    "lying_face": "🤥",
    "relieved": "😌",
    "pensive": "😔",
    "sleepy": "😪",
    "drooling_face": "🤤",
    "sleeping": "😴",
    "mask": "😷",
    "face_with_thermometer": "🤒",
    "nauseated_face": "🤢",
    "vomiting_face": "🤮",
    "sneezing_face": "🤧",
    "hot_face": "🥵",
    "cold_face": "🥶",
    "woozy_face": "🥴",
    "dizzy_face": "😵",
    "exploding_head": "🤯",
    "cowboy_hat_face": "🤠",
    "partying_face": "🥳",
    "party": "🥳",
    "sunglasses": "😎",
    "nerd_face": "🤓",
    "monocle_face": "🧐",
    "confused": "😕",
    "worried": "😟",
    "slightly_frowning_face": "🙁",
    "frowning_face": "☹️",
    "open_mouth": "😮",
    "hushed": "😯",
    "astonished": "😲",
    "flushed": "😳",
    "pleading_face": "🥺",
    "frowning": "😦",
    "anguished": "😧",
    "fearful": "😨",
    "cold_sweat": "😰",
    "disappointed_relieved": "😥",
    "cry": "😢",
    "sob": "😭",
    "scream": "😱",
    "confounded": "😖",
    "persevere": "😣",
    "disappointed": "😞",
    "sweat": "😓",
    "weary": "😩",
    "tired_face": "😫",
    "yawning_face": "🥱",
    "triumph": "😤",
    "rage": "😡",
    "pout": "😡",
    "angry": "😠",
    "cursing_face": "🤬",
    "smiling_imp": "😈",
    "imp": "👿",
    "skull": "💀",
    "poop": "💩",
    "hankey": "💩",
    "clown_face": "🤡",
    "ghost": "👻",
    "alien": "👽",
    "robot": "🤖",
    "see_no_evil": "🙈",
    "hear_no_evil": "🙉",
    "speak_no_evil": "🙊",
    "smiley_cat": "😺",
    "joy_cat": "😹",
    "heart_eyes_cat": "😻",
    # Hands and people
    "thumbsup": "👍",
    "+1": "👍",
    "thumbsdown": "👎",
    "-1": "👎",
    "ok_hand": "👌",
    "clap": "👏",
    "pray": "🙏",
    "wave": "👋",
    "raised_hands": "🙌",
    "muscle": "💪",
    "point_up": "☝️",
    "point_up_2": "👆",
    "point_down": "👇",
    "point_left": "👈",
    "point_right": "👉",
    "raised_hand": "✋",
    "hand": "✋",
    "v": "✌️",
    "crossed_fingers": "🤞",
    "metal": "🤘",
    "call_me_hand": "🤙",
    "fist": "✊",
    "facepunch": "👊",
    "punch": "👊",
    "handshake": "🤝",
    "open_hands": "👐",
    "writing_hand": "✍️",
    "eyes": "👀",
    "eye": "👁️",
    "brain": "🧠",
    "facepalm": "🤦",
    "shrug": "🤷",
    "man_shrugging": "🤷‍♂️",
    "woman_shrugging": "🤷‍♀️",
    "man_facepalming": "🤦‍♂️",
    "woman_facepalming": "🤦‍♀️",
    "dancer": "💃",
    "man_dancing": "🕺",
    "runner": "🏃",
    "baby": "👶",
    "ninja": "🥷",
    # Hearts and symbols
    "heart": "❤️",
    "red_heart": "❤️",
    "orange_heart": "🧡",
    "yellow_heart": "💛",
    "green_heart": "💚",
    "blue_heart": "💙",
    "purple_heart": "💜",
    "black_heart": "🖤",
    "white_heart": "🤍",
    "broken_heart": "💔",
    "two_hearts": "💕",
    "sparkling_heart": "💖",
    "heartpulse": "💗",
    "kiss": "💋",
    "100": "💯",
    "boom": "💥",
    "collision": "💥",
    "dizzy": "💫",
    "sweat_drops": "💦",
    "zzz": "💤",
    "speech_balloon": "💬",
    "thought_balloon": "💭",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "check": "✔️",
    "ballot_box_with_check": "☑️",
    "x": "❌",
    "negative_squared_cross_mark": "❎",
    "heavy_plus_sign": "➕",
    "heavy_minus_sign": "➖",
    "question": "❓",
    "grey_question": "❔",
    "exclamation": "❗",
    "heavy_exclamation_mark": "❗",
    "grey_exclamation": "❕",
    "bangbang": "‼️",
    "interrobang": "⁉️",
    "warning": "⚠️",
    "no_entry": "⛔",
    "no_entry_sign": "🚫",
    "stop_sign": "🛑",
    "recycle": "♻️",
    "copyright": "©️",
    "registered": "®️",
    "tm": "™️",
    "red_circle": "🔴",
    "large_blue_circle": "🔵",
    "blue_circle": "🔵",
    "green_circle": "🟢",
    "yellow_circle": "🟡",
    "white_circle": "⚪",
    "black_circle": "⚫",
    "arrow_right": "➡️",
    "arrow_left": "⬅️",
    "arrow_up": "⬆️",
    "arrow_down": "⬇️",
    "arrows_counterclockwise": "🔄",
    "new": "🆕",
    "ok": "🆗",
    "cool": "🆒",
    "free": "🆓",
    "sos": "🆘",
    "bell": "🔔",
    "no_bell": "🔕",
    "loud_sound": "🔊",
    "mute": "🔇",
    "mega": "📣",
    "loudspeaker": "📢",
    "pushpin": "📌",
    "round_pushpin": "📍",
    "paperclip": "📎",
    "link": "🔗",
    "lock": "🔒",
    "unlock": "🔓",
    "key": "🔑",
    "mag": "🔍",
    "bulb": "💡",
    "zap": "⚡",
    "fire": "🔥",
    "sparkles": "✨",
    "star": "⭐",
    "star2": "🌟",
    "glowing_star": "🌟",
    "tada": "🎉",
    "confetti_ball": "🎊",
    "balloon": "🎈",
    "gift": "🎁",
    "birthday": "🎂",
    "christmas_tree": "🎄",
    "jack_o_lantern": "🎃",
    "trophy": "🏆",
    "medal": "🏅",
    "first_place_medal": "🥇",
    "crown": "👑",
    "gem": "💎",
    "moneybag": "💰",
    "dollar": "💵",
    "chart_with_upwards_trend": "📈",
    "chart_with_downwards_trend": "📉",
    "bar_chart": "📊",
    "calendar": "📆",
    "date": "📅",
    "memo": "📝",
    "pencil": "📝",
    "pencil2": "✏️",
    "book": "📖",
    "books": "📚",
    "bookmark": "🔖",
    "email": "📧",
    "envelope": "✉️",
    "inbox_tray": "📥",
    "outbox_tray": "📤",
    "package": "📦",
    "file_folder": "📁",
    "clipboard": "📋",
    "scissors": "✂️",
    "wastebasket": "🗑️",
    "hammer": "🔨",
    "wrench": "🔧",
    "hammer_and_wrench": "🛠️",
    "gear": "⚙️",
    "bug": "🐛",
    "computer": "💻",
    "keyboard": "⌨️",
    "desktop_computer": "🖥️",
    "iphone": "📱",
    "phone": "☎️",
    "telephone": "☎️",
    "camera": "📷",
    "movie_camera": "🎥",
    "tv": "📺",
    "headphones": "🎧",
    "microphone": "🎤",
    "musical_note": "🎵",
    "notes": "🎶",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳",
    "watch": "⌚",
    "alarm_clock": "⏰",
    "stopwatch": "⏱️",
    "battery": "🔋",
    "electric_plug": "🔌",
    "shield": "🛡️",
    "test_tube": "🧪",
    "dna": "🧬",
    "pill": "💊",
    "rocket": "🚀",
    "airplane": "✈️",
    "car": "🚗",
    "red_car": "🚗",
    "bike": "🚲",
    "ship": "🚢",
    "construction": "🚧",
    "rotating_light": "🚨",
    "checkered_flag": "🏁",
    "triangular_flag_on_post": "🚩",
    "house": "🏠",
    "office": "🏢",
    "hospital": "🏥",
    "world_map": "🗺️",
    "globe_with_meridians": "🌐",
    "earth_americas": "🌎",
    "earth_africa": "🌍",
    "earth_asia": "🌏",
    # Nature and weather
    "sunny": "☀️",
    "cloud": "☁️",
    "umbrella": "☔",
    "snowflake": "❄️",
    "snowman": "⛄",
    "rainbow": "🌈",
    "ocean": "🌊",
    "crescent_moon": "🌙",
    "full_moon": "🌕",
    "earth": "🌍",
    "seedling": "🌱",
    "evergreen_tree": "🌲",
    "palm_tree": "🌴",
    "cactus": "🌵",
    "four_leaf_clover": "🍀",
    "fallen_leaf": "🍂",
    "maple_leaf": "🍁",
    "rose": "🌹",
    "sunflower": "🌻",
    "tulip": "🌷",
    "cherry_blossom": "🌸",
    "bouquet": "💐",
    "dog": "🐶",
    "cat": "🐱",
    "mouse": "🐭",
    "rabbit": "🐰",
    "fox_face": "🦊",
    "bear": "🐻",
    "panda_face": "🐼",
    "koala": "🐨",
    "tiger": "🐯",
    "lion": "🦁",
    "cow": "🐮",
    "pig": "🐷",
    "frog": "🐸",
    "monkey": "🐒",
    "monkey_face": "🐵",
    "chicken": "🐔",
    "penguin": "🐧",
    "bird": "🐦",
    "hatching_chick": "🐣",
    "owl": "🦉",
    "unicorn": "🦄",
    "bee": "🐝",
    "honeybee": "🐝",
    "butterfly": "🦋",
    "snail": "🐌",
    "turtle": "🐢",
    "snake": "🐍",
    "dragon": "🐉",
    "whale": "🐳",
    "dolphin": "🐬",
    "fish": "🐟",
    "octopus": "🐙",
    "crab": "🦀",
    "t-rex": "🦖",
    "sauropod": "🦕",
    "paw_prints": "🐾",
    "feet": "🐾",
    # Food and drink
    "coffee": "☕",
    "tea": "🍵",
    "beer": "🍺",
    "beers": "🍻",
    "wine_glass": "🍷",
    "cocktail": "🍸",
    "tropical_drink": "🍹",
    "champagne": "🍾",
    "clinking_glasses": "🥂",
    "cup_with_straw": "🥤",
    "milk_glass": "🥛",
    "pizza": "🍕",
    "hamburger": "🍔",
    "fries": "🍟",
    "hotdog": "🌭",
    "taco": "🌮",
    "burrito": "🌯",
    "sushi": "🍣",
    "ramen": "🍜",
    "spaghetti": "🍝",
    "rice": "🍚",
    "bento": "🍱",
    "dumpling": "🥟",
    "bread": "🍞",
    "croissant": "🥐",
    "cheese": "🧀",
    "egg": "🥚",
    "bacon": "🥓",
    "popcorn": "🍿",
    "cake": "🍰",
    "cupcake": "🧁",
    "cookie": "🍪",
    "doughnut": "🍩",
    "icecream": "🍦",
    "chocolate_bar": "🍫",
    "candy": "🍬",
    "apple": "🍎",
    "green_apple": "🍏",
    "banana": "🍌",
    "grapes": "🍇",
    "watermelon": "🍉",
    "strawberry": "🍓",
    "peach": "🍑",
    "cherries": "🍒",
    "lemon": "🍋",
    "pineapple": "🍍",
    "avocado": "🥑",
    "eggplant": "🍆",
    "hot_pepper": "🌶️",
    "carrot": "🥕",
    "corn": "🌽",
    "broccoli": "🥦",
    "mushroom": "🍄",
    # Activities
    "soccer": "⚽",
    "basketball": "🏀",
    "football": "🏈",
    "baseball": "⚾",
    "tennis": "🎾",
    "8ball": "🎱",
    "video_game": "🎮",
    "game_die": "🎲",
    "dart": "🎯",
    "jigsaw": "🧩",
    "art": "🎨",
    "guitar": "🎸",
    "performing_arts": "🎭",
    "ticket": "🎫",
    "ski": "🎿",
    "swimmer": "🏊",
    "weight_lifting": "🏋️",
    "running_shirt_with_sash": "🎽",
    "flag_white": "🏳️",
    "rainbow_flag": "🏳️‍🌈",
    "pirate_flag": "🏴‍☠️",
}

SHORTCODES: Mapping[str, str] = MappingProxyType(_TABLE)
"""Every known shortcode name (without colons) and its emoji; read-only."""

_NAMES = tuple(_TABLE)

_SHORTCODE = re.compile(r":([A-Za-z0-9_+\-]+):")

# Spans where ``:word:`` is not a shortcode: URLs (``https://h/a:b:c``), inline
# code and fenced code blocks, as Slack and GitHub do.
_PROTECTED = re.compile(
    r"```.*?(?:```|\Z)"
    r"|`[^`\n]*`"
    r"|\b[A-Za-z][A-Za-z0-9+.\-]*://\S+"
    r"|\bwww\.\S+",
    re.DOTALL,
)


def lookup(name: str) -> str | None:
    """Return the emoji for one shortcode name, with or without colons, or ``None``.

    Args:
        name: A name such as ``"smile"`` or ``":smile:"``; case does not matter.
    """
    return _TABLE.get(name.strip(":").lower())


def _expand_plain(text: str) -> str:
    """Expand the shortcodes of a text that holds no protected span."""
    out: list[str] = []
    pos = 0
    i = text.find(":")
    while i != -1:
        match = _SHORTCODE.match(text, i)
        emoji = _TABLE.get(match.group(1).lower()) if match else None
        # Require a non-alphanumeric character (or the edge) on both sides, so
        # "12:100:30" or "id:fire:2" stay as typed.
        if (
            match is not None
            and emoji is not None
            and (i == 0 or not text[i - 1].isalnum())
            and (match.end() == len(text) or not text[match.end()].isalnum())
        ):
            out.append(text[pos:i])
            out.append(emoji)
            pos = match.end()
            i = text.find(":", pos)
        else:
            # The closing colon may open the next shortcode (":x:smile:"), so
            # step one colon at a time rather than past the whole match.
            i = text.find(":", i + 1)
    if not out:
        return text
    out.append(text[pos:])
    return "".join(out)


def expand_shortcodes(text: str) -> str:
    """Replace the known ``:shortcode:`` names in ``text`` by their emoji.

    Unknown names (``:words:``), times such as ``12:30:45``, URLs and code spans
    (between backticks) are left untouched. Adjacent shortcodes (``:+1::tada:``)
    are all expanded. Names are matched case-insensitively.

    Args:
        text: The message text.

    Returns:
        The text with its shortcodes expanded (the same string if there are none).
    """
    if ":" not in text:
        return text
    parts: list[str] = []
    pos = 0
    for protected in _PROTECTED.finditer(text):
        parts.append(_expand_plain(text[pos : protected.start()]))
        parts.append(protected.group())
        pos = protected.end()
    parts.append(_expand_plain(text[pos:]))
    return "".join(parts)


def complete(prefix: str, limit: int = 8) -> list[tuple[str, str]]:
    """List the shortcodes matching what the user typed, best first.

    An exact name comes first, then the names starting with ``prefix`` (in the
    table's rough popularity order), then the names containing it elsewhere.

    Args:
        prefix: What follows the colon, e.g. ``"sm"``; a leading ``:`` is ignored
            and case does not matter. An empty prefix lists popular shortcodes.
        limit: The maximum number of results; zero or less gives none.

    Returns:
        ``(name, emoji)`` pairs, names without colons.
    """
    if limit <= 0:
        return []
    needle = prefix.lstrip(":").lower()
    if not needle:
        return [(name, _TABLE[name]) for name in _NAMES[:limit]]
    starts = [name for name in _NAMES if name.startswith(needle)]
    starts.sort(key=lambda name: name != needle)  # stable: the rest keep their order
    results = starts[:limit]
    if len(results) < limit:
        results += [name for name in _NAMES if needle in name and name not in starts][
            : limit - len(results)
        ]
    return [(name, _TABLE[name]) for name in results]
