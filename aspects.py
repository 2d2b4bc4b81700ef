"""What a prompt already says: the aspects of an image its own words settle, so the dialogue need not ask about them.

`said(prompt)` names every aspect the prompt settles, from the broad ones the
score knows (style, colour, lighting, composition, use ...) to the finer ones
explorer mode asks about (camera and lens, materials, props, text placement,
what to avoid, level of detail ...). Pure functions, no I/O.

It reads the prompt with enhancer's tokenizer (whole words, light stemming), so
"neon signs" says lighting and "neonate" says nothing. It starts from
`enhancer.known_aspects` and adds words those groups lack: a prompt that says
"at night", "printed on cups" or "a cinematic shot" has answered the question
about light, use or framing. A false match only skips a question; a miss asks
the user about something they already wrote, which is the worse mistake.
"""

from __future__ import annotations

import re

import enhancer

# Every aspect `said` can name, with what it covers. The first group comes from
# enhancer.known_aspects (widened here); the second is the deep bank's.
ASPECTS: dict[str, str] = {
    "style": "style or medium: watercolour, photorealistic, flat vector, retro ...",
    "mood": "mood: calm, dramatic, playful, premium ...",
    "lighting": "light: neon, at night, golden hour, soft studio lighting, backlit ...",
    "time": "time of day or weather: sunrise, dusk, foggy, stormy ...",
    "colour": "colours: named colours, palettes, pastel, black and white, #ff8800 ...",
    "composition": "framing: wide, close-up, overhead, centred, a cinematic shot ...",
    "logo_form": "the kind of logo: wordmark, monogram, emblem, badge ...",
    "setting": "where it takes place: a forest, a studio, on a marble counter ...",
    "usage": "where it will be used: printed on cups, a website header, a billboard ...",
    "platform": "a social platform: Instagram, LinkedIn, TikTok ...",
    "audience": "who it is for: children, investors, students ...",
    "goal": "what it should achieve: announce, promote, invite ...",
    "text": "the words it carries: quoted text, a title, no text ...",
    "subject": "a subject described in five or more words of its own",
    "camera": "camera angle and lens: 85 mm, wide-angle, low angle, from above, bokeh ...",
    "dimension": "flat or with depth: flat, 2D, 3D, isometric, perspective ...",
    "materials": "materials and textures: wood, brushed metal, matte, linen, brush strokes ...",
    "props": "props and supporting details: surrounded by, holding, scattered, garnished ...",
    "space": "where text goes and the empty space: copy space, room for text, negative space ...",
    "typeface": "lettering: serif, sans-serif, script, hand-lettered, font ...",
    "meaning": "the idea a mark conveys: represents, symbolises, stands for, evokes ...",
    "shape": "the outline a logo fits: circle, square, shield, stacked, horizontal ...",
    "background": "what it sits on: background, backdrop, transparent, cut out ...",
    "versions": "the versions a mark must work in: one colour, favicon, dark mode, small sizes ...",
    "detail": "level of detail: simple, minimal, intricate, highly detailed, clean ...",
    "avoid": "what to keep out: no ..., without ..., avoid ..., don't ...",
    "focus": "the focal point: focus on, focal point, emphasis, highlight, stands out ...",
    "pose": "a person's pose: standing, seated, arms crossed, looking at ...",
    "wardrobe": "what a person wears: wearing, dressed in, a suit, a sweater ...",
    "retouch": "retouching: natural skin, retouched, airbrushed, freckles ...",
    "season": "the season: spring, summer, autumn, winter, snow, blossom ...",
    "weather": "the weather: rain, fog, mist, storm, sunny, overcast ...",
    "visual_aid": "a chart or diagram: chart, graph, timeline, infographic, data ...",
    "stroke": "line work: outline, line weight, thin lines, bold ink, monoline ...",
    "shadow": "shadows and reflections: drop shadow, long shadow, reflection, shading ...",
    "set": "a family of images: icon set, matching, consistent with, Material Design ...",
    "brand": "branding: brand colours, our logo, brand guidelines ...",
    "safe_area": "margins for cropping and overlays: safe zone, margins, crop, overlay ...",
    "motion": "movement: splash, pouring, floating, steam, motion blur, frozen in motion ...",
    "light_direction": "where the light comes from: from the left, backlit, rim light, low sun ...",
    "accent": "an accent colour: accent, a pop of red, contrasting ...",
    "era": "an era: 1970s, vintage, retro, modern, futuristic, medieval ...",
    "priority": "what matters most: most important, above all, the priority ...",
    "hierarchy": "how the text is ranked: a huge headline, small print, the title biggest ...",
    "scale": "how big the scene feels: vast, endless, towering, intimate, monumental ...",
}


def _terms(*entries: str) -> tuple[tuple[str, ...], ...]:
    return tuple(enhancer.phrase_words(e) for e in entries)


_WORDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "style": _terms(
        "photo-realistic", "realism", "hyperrealism", "in the style of", "art style", "ghibli", "pixar", "disney",
        "ukiyo-e", "woodcut", "linocut", "engraving", "etching", "risograph", "screen print", "screenprint",
        "halftone", "stencil", "graffiti", "street art", "vaporwave", "synthwave", "y2k", "brutalist", "memphis",
        "kawaii", "chibi", "noir", "sci-fi", "concept art", "digital art", "digital painting", "matte painting",
        "airbrush", "stained glass", "mosaic", "origami", "stop motion", "voxel", "8-bit", "16-bit", "doodle",
        "crayon", "marker", "chalk", "blueprint", "technical drawing", "emoji", "claymation",
    ),
    "mood": _terms(
        "somber", "sombre", "solemn", "joyous", "upbeat", "chill", "zen", "haunting", "creepy", "scary", "magical",
        "enchanting", "mystical", "heroic", "majestic", "awe", "sad", "lonely", "powerful", "peaceful",
    ),
    "lighting": _terms(
        "neon", "night", "nighttime", "at night", "golden hour", "blue hour", "magic hour", "sunset", "sunrise",
        "dusk", "dawn", "twilight", "midnight", "moonlit", "moonlight", "starlight", "starlit", "candlelit",
        "candle", "firelight", "torchlight", "lantern", "fluorescent", "led lights", "illuminated", "illumination",
        "dimly", "dim", "darkness", "low light", "hard light", "harsh light", "soft light", "softbox",
        "ring light", "flash", "strobe", "volumetric", "god rays", "sunbeam", "light rays", "lens flare",
        "silhouette", "silhouetted", "contre-jour", "high-key", "low-key", "studio lighting", "overcast",
        "noon", "midday", "daytime", "sunny", "bioluminescent", "glowing", "luminous",
    ),
    "composition": _terms(
        "wide", "wide view", "wide-angle", "widescreen", "establishing shot", "long shot", "full shot",
        "cinematic shot", "tracking shot", "hero shot", "detail shot", "group shot", "action shot", "drone shot",
        "aerial shot", "overhead shot", "extreme close-up", "close shot", "cowboy shot", "overhead", "from above",
        "from below", "bird eye", "worm eye", "eye level", "eye-level", "low angle", "high angle", "dutch angle",
        "tilted", "central", "centrally", "in the middle", "middle of the frame", "off-center", "on the left",
        "on the right", "leading lines", "diagonal", "golden ratio", "vanishing point", "zoomed in", "zoomed out",
        "tightly framed", "tight crop", "fill the frame", "fills the frame", "close up",
    ),
    "usage": _terms(
        "website header", "web header", "hero image", "landing page", "web page", "webpage", "blog post",
        "printed on", "print on", "printed", "t-shirt print", "merch", "merchandise", "sticker", "stickers",
        "decal", "favicon", "profile picture", "pfp", "avatar", "screensaver", "lock screen", "home screen",
        "wall art", "canvas print", "art print", "framed print", "greeting card", "postcard", "book cover",
        "album cover", "magazine cover", "brochure", "flyer", "leaflet", "catalog", "magazine", "newspaper",
        "presentation", "slide deck", "keynote", "powerpoint", "report", "display ad", "vehicle wrap",
        "window display", "trade show", "conference", "stationery", "embroidery", "embroidered", "app store",
        "play store", "cover art", "thumbnail", "mural", "tattoo", "online shop", "online store", "webshop",
        "web shop", "shop page", "store page", "product page", "etsy", "amazon", "shopify", "ebay", "e-commerce",
        "ecommerce", "picture book", "children book", "storybook", "book cover",
    ),
    "text": _terms(
        "that says", "that reads", "with the words", "the words", "the word", "words", "wording", "written",
        "spelled", "spelling", "letters", "lettering", "quote", "without text", "text-free", "no words",
        "no lettering", "headline", "subtitle", "label reading", "name on it", "call to action",
    ),
    "colour": _terms(
        "rust", "terracotta", "mustard", "sage", "blush", "fuchsia", "aqua", "azure", "cobalt", "ruby", "jade",
        "plum", "mauve", "taupe", "rainbow", "iridescent", "holographic", "pastels", "jewel tones", "earth tones",
        "technicolor", "b&w", "colour scheme",
    ),
    "setting": _terms(
        "tundra", "coast", "coastline", "cliff", "shore", "seaside", "canyon", "glacier", "volcano", "savanna",
        "prairie", "swamp", "marsh", "waterfall", "plains", "moor", "fjord", "reef", "lagoon", "dunes", "pier",
        "dock", "jetty", "wharf", "boardwalk", "marina", "courtyard", "plaza", "corridor", "hallway", "lobby",
        "warehouse", "factory", "workshop", "laboratory", "hospital", "school", "gym", "subway", "tunnel",
        "attic", "basement", "porch", "patio", "terrace", "greenhouse", "orchard", "vineyard", "ruins", "tower",
        "space station", "spaceship", "battlefield",
    ),
    "camera": _terms(
        "lens", "wide-angle", "wide angle", "telephoto", "macro", "fisheye", "tilt-shift", "zoom lens",
        "prime lens", "dslr", "mirrorless", "shot on", "camera", "canon", "nikon", "sony", "leica", "fujifilm",
        "hasselblad", "iphone", "gopro", "drone", "eye level", "eye-level", "low angle", "high angle",
        "bird eye", "worm eye", "dutch angle", "from above", "from below", "looking up", "looking down",
        "overhead", "top down", "top-down", "aerial", "isometric", "three quarter", "three-quarter view",
        "side view", "front view", "profile view", "pov", "point of view", "first person", "over the shoulder",
        "depth of field", "bokeh", "angle", "viewpoint", "vantage point", "perspective",
    ),
    "dimension": _terms(
        "flat", "2d", "3d", "isometric", "three quarter", "perspective", "dimensional", "three dimensional",
        "three-dimensional", "realistic depth",
    ),
    "materials": _terms(
        "material", "texture", "textured", "surface", "finish", "matte", "matt", "glossy", "satin", "metallic",
        "chrome", "brushed", "wood", "wooden", "oak", "walnut", "bamboo", "marble", "granite", "stone",
        "concrete", "brick", "glass", "crystal", "ceramic", "porcelain", "clay", "terracotta", "leather",
        "fabric", "linen", "cotton", "wool", "knit", "silk", "velvet", "denim", "felt", "paper", "cardboard",
        "kraft", "plastic", "rubber", "metal", "steel", "iron", "brass", "aluminium", "aluminum", "gold leaf",
        "gold foil", "foil", "embossed", "debossed", "engraved", "letterpress", "enamel", "resin", "wax",
        "rusty", "weathered", "polished", "wood grain", "paper grain", "brush strokes", "brushstrokes",
        "impasto", "canvas texture", "flat color", "flat colors", "flat shading", "fur", "furry", "feathers",
        "fluffy", "smooth", "rough", "shiny", "reflective", "translucent", "frosted", "wet", "dewy",
        "water droplets", "condensation",
    ),
    "props": _terms(
        "prop", "props", "accessories", "accessory", "surrounded by", "accompanied by", "alongside", "next to",
        "beside", "together with", "holding", "carrying", "scattered", "garnish", "garnished", "decorated with",
        "decorations", "arranged with", "flanked by", "for scale", "on a tray",
    ),
    "space": _terms(
        "space for text", "room for text", "copy space", "negative space", "empty space", "white space",
        "whitespace", "blank space", "clear space", "free space", "empty area", "empty sky", "leave room",
        "leave space", "space for", "space at", "space on", "space around", "space above", "space below",
        "room for", "room at", "room above", "text on the left", "text on the right", "text at the top",
        "text at the bottom", "headline at", "title at", "text area", "fill the frame", "fills the frame",
        "full-bleed", "full bleed", "uncluttered", "text overlay",
    ),
    "typeface": _terms(
        "font", "typeface", "serif", "sans serif", "sans-serif", "sans", "script", "calligraphy", "calligraphic",
        "handwritten", "hand lettered", "hand-lettered", "lettering", "letterforms", "monospace", "slab serif",
        "display type", "blackletter", "cursive", "uppercase", "capitals", "all caps", "lowercase",
        "typography", "typographic",
    ),
    "meaning": _terms(
        "represents", "represent", "representing", "symbolises", "symbolizes", "symbolise", "symbolize",
        "symbol of", "stands for", "stand for", "evokes", "evoke", "conveys", "convey", "suggests", "suggest",
        "reflects", "reflect", "expresses", "express", "communicates", "embodies", "meaning", "metaphor",
        "idea of", "concept of",
    ),
    "shape": _terms(
        "shape", "circle", "circular", "round", "square", "squircle", "rectangle", "rectangular", "horizontal",
        "vertical", "stacked", "shield", "hexagon", "hexagonal", "octagon", "oval", "triangle", "triangular",
        "diamond", "crest", "seal", "ring",
    ),
    "background": _terms(
        "background", "backdrop", "transparent", "cut out", "cutout", "isolated", "seamless", "on white",
    ),
    "versions": _terms(
        "favicon", "one colour", "one color", "single colour", "single color", "monochrome version",
        "dark mode", "light mode", "dark background", "light background", "small sizes", "small size",
        "any size", "every size", "all sizes", "scalable", "scale down", "responsive", "embroidery",
        "embroidered",
    ),
    "detail": _terms(
        "detail", "detailed", "details", "intricate", "intricately", "highly detailed", "hyperdetailed",
        "ultra detailed", "fine detail", "simple", "simplified", "simplistic", "minimal", "minimalist",
        "minimalistic", "sparse", "clean", "busy", "ornate", "elaborate", "complex", "8k", "4k", "hd",
        "high resolution", "uncluttered", "cluttered", "sharp", "crisp", "film grain", "grainy",
    ),
    "avoid": _terms(
        "no", "not", "without", "avoid", "avoiding", "don't", "do not", "never", "free of", "exclude",
        "excluding", "except", "nothing", "none", "instead of", "rather than",
    ),
    "focus": _terms(
        "focus", "focused", "focal point", "focal", "emphasis", "emphasize", "emphasise", "highlight",
        "highlighted", "highlighting", "center of attention", "draws the eye", "draw the eye", "stands out",
        "stand out", "hero shot", "main subject", "in focus", "sharp focus", "prominent", "prominently", "dominant",
        "dominates",
    ),
    "pose": _terms(
        "pose", "posing", "posed", "standing", "sitting", "seated", "leaning", "lying", "kneeling", "walking",
        "running", "jumping", "dancing", "arms crossed", "crossed arms", "hands on", "hand on", "looking at",
        "looking away", "gazing", "facing", "in profile", "turned",
    ),
    "wardrobe": _terms(
        "wearing", "wears", "dressed", "dress", "outfit", "clothes", "clothing", "suit", "shirt", "jacket",
        "coat", "hoodie", "sweater", "jumper", "blouse", "tie", "uniform", "hat", "glasses", "sunglasses",
        "scarf", "jewellery", "jewelry", "necklace", "earrings", "apron", "armor", "armour", "costume", "robe",
        "kimono", "gown", "jeans", "blazer", "tuxedo", "attire",
    ),
    "retouch": _terms(
        "retouch", "retouched", "retouching", "airbrushed", "unretouched", "natural skin", "skin texture",
        "pores", "freckles", "flawless", "unedited", "makeup", "make-up",
    ),
    "season": _terms(
        "season", "seasonal", "spring", "summer", "autumn", "fall", "winter", "wintry", "snow", "snowy",
        "snowing", "blossom", "christmas", "halloween", "harvest", "frost", "frosty",
    ),
    "weather": _terms(
        "weather", "rain", "rainy", "raining", "fog", "foggy", "mist", "misty", "storm", "stormy", "sunny",
        "cloudy", "overcast", "clear sky", "snow", "snowy", "drizzle", "thunder", "lightning", "windy", "haze",
        "hazy",
    ),
    "visual_aid": _terms(
        "chart", "graph", "diagram", "infographic", "timeline", "flowchart", "flow chart", "map", "data",
        "statistics", "stats", "numbers", "dashboard", "kpi", "metrics", "bar chart", "pie chart",
    ),
    "stroke": _terms(
        "stroke", "strokes", "line weight", "line width", "outline", "outlined", "line art", "lineart",
        "linework", "line work", "lines", "monoline", "ink", "inked", "filled", "solid fill", "glyph",
    ),
    "shadow": _terms(
        "shadow", "shadowed", "drop shadow", "long shadow", "shading", "shaded", "reflection", "reflective",
        "mirror", "contact shadow", "ambient occlusion",
    ),
    "set": _terms(
        "icon set", "set of", "series", "family", "matching", "consistent", "consistency", "ios", "android",
        "material design", "material you", "sf symbols", "fluent",
    ),
    "brand": _terms(
        "brand", "branding", "branded", "logo", "corporate identity", "brand guidelines", "style guide",
        "house style", "trademark",
    ),
    "safe_area": _terms(
        "safe zone", "safe area", "safe margins", "margin", "margins", "crop", "cropping", "cropped", "overlay",
        "overlaid", "interface", "ui",
    ),
    "motion": _terms(
        "motion", "moving", "movement", "splash", "splashing", "pouring", "falling", "floating", "levitating",
        "flying", "steam", "steaming", "dripping", "spray", "motion blur", "in motion", "mid-air", "mid air",
    ),
    "light_direction": _terms(
        "from the left", "from the right", "from behind", "from the side", "from one side", "side light",
        "side lit", "side-lit", "rim light", "rim lit", "top light", "front light", "light from", "lit from",
        "backlit", "backlight", "back light", "sun behind", "low sun", "diffuse", "diffused", "window light",
        "silhouette", "silhouetted", "contre-jour",
    ),
    "accent": _terms("accent", "accents", "pop of", "pops of", "splash of color", "contrasting", "contrast"),
    "era": _terms(
        "era", "decade", "century", "vintage", "retro", "modern", "contemporary", "futuristic", "future",
        "victorian", "medieval", "ancient", "timeless", "art deco", "art nouveau", "mid-century", "y2k",
        "old-fashioned", "antique", "historic", "historical",
    ),
    "hierarchy": _terms(
        "hierarchy", "huge headline", "big headline", "large headline", "bold headline", "big title",
        "large title", "huge title", "small print", "fine print", "subheading", "subheadline", "tagline below",
    ),
    "scale": _terms(
        "scale", "vast", "endless", "towering", "immense", "huge", "enormous", "gigantic", "tiny", "miniature",
        "intimate", "monumental", "sweeping", "expansive", "boundless",
    ),
    "priority": _terms(
        "most important", "above all", "priority", "crucially", "crucial", "essential", "key thing", "must be",
        "matters most", "most of all",
    ),
}

# Things an image is printed on or shown in: they say "use" only after a
# preposition ("printed on our paper cups", "as a wallpaper"), since "a cup of
# coffee" is a subject.
_CARRIERS = _terms(
    "cup", "mug", "bag", "tote", "shirt", "t-shirt", "tee", "hoodie", "cap", "box", "bottle", "jar", "label",
    "card", "sign", "truck", "van", "screen", "page", "site", "header", "cover", "menu", "packaging", "apron",
    "uniform", "napkin", "coaster", "notebook", "phone case", "poster", "flyer", "billboard", "banner",
    "wallpaper", "newsletter", "email", "invitation", "feed", "book", "website",
)
_CARRIER_PREPOSITIONS = frozenset({"on", "onto", "for", "across", "as"})
_CARRIER_REACH = 3  # "on our paper cups": the preposition is at most three words before

_LENS = re.compile(r"\b\d{2,3}(?:-\d{2,3})?\s?mm\b|\bf/\d", re.IGNORECASE)
_PIXELS = re.compile(r"\b\d{2,3}\s?px\b", re.IGNORECASE)
_RGB = re.compile(r"\brgb\s*\(", re.IGNORECASE)
_DECADE = re.compile(r"\b(?:1[89]|20)\d0s\b|\b\d0s\b")
_SCAN_LIMIT = 100_000  # the prompt cap; patterns never look further


def _on_a_carrier(prompt: str) -> bool:
    text = enhancer.read_words(prompt)
    for term in _CARRIERS:
        for start in text.find(term):
            before = text.tokens[max(0, start - _CARRIER_REACH) : start]
            if _CARRIER_PREPOSITIONS.intersection(before):
                return True
    return False


def said(prompt: str) -> frozenset[str]:
    """The aspects `prompt` settles, as names from ASPECTS.

    A question about any of them would ask the user what they already wrote. The
    broad names include everything `enhancer.known_aspects` reports.
    """
    text = enhancer.read_words(prompt)
    found = set(enhancer.known_aspects(prompt))
    found.update(name for name, terms in _WORDS.items() if any(text.find(term) for term in terms))
    head = prompt[:_SCAN_LIMIT]
    if _LENS.search(head):
        found.add("camera")
    if _PIXELS.search(head):
        found.add("versions")
    if _RGB.search(head):
        found.add("colour")
    if _DECADE.search(head):
        found.add("era")
    if "usage" not in found and _on_a_carrier(prompt):
        found.add("usage")
    return frozenset(found & ASPECTS.keys())
