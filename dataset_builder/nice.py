"""The synthetic generator's Nice vocabulary: typical goods/services terms per class, popularity, sectors.

Class headings live in `nice_classification` (the one Nice reference module).

The term lists are real-looking Nice wording (no commas inside a term, so `;`/`,` splitting gives them back
exactly). Popularity is the approximate share of each class in EU trade mark filings, by rank.
"""

from __future__ import annotations

CLASS_TERMS: dict[int, list[str]] = {
    1: [
        "industrial chemicals",
        "fertilisers",
        "adhesives for industrial purposes",
        "chemical preparations for use in photography",
        "plant growth regulating preparations",
        "unprocessed artificial resins",
        "biological preparations for use in industry",
        "soil conditioning preparations",
    ],  # noqa: E501
    2: [
        "paints",
        "varnishes",
        "lacquers",
        "preservatives against rust",
        "colorants",
        "printing ink",
        "wood preservatives",
        "anti-corrosive coatings",
    ],  # noqa: E501
    3: [
        "cosmetics",
        "perfumes",
        "shampoos",
        "skin care preparations",
        "essential oils",
        "laundry detergents",
        "toothpaste",
        "make-up",
        "soaps",
    ],  # noqa: E501
    4: [
        "industrial oils",
        "lubricants",
        "fuels",
        "candles",
        "motor oil",
        "dust absorbing compositions",
        "biofuels",
        "firelighters",
    ],  # noqa: E501
    5: [
        "pharmaceutical preparations",
        "dietary supplements",
        "vaccines",
        "medicated creams",
        "veterinary preparations",
        "disinfectants",
        "baby food",
        "sanitary pads",
        "herbicides",
    ],  # noqa: E501
    6: [
        "common metals and their alloys",
        "metal building materials",
        "metal pipes",
        "locks of metal",
        "ironmongery",
        "metal containers for storage",
        "safes",
        "ores",
    ],  # noqa: E501
    7: [
        "machine tools",
        "lawnmowers [machines]",
        "agricultural machines",
        "electric motors",
        "pumps [machines]",
        "industrial robots",
        "3d printers",
        "kitchen machines electric",
        "generators of electricity",
    ],  # noqa: E501
    8: [
        "hand tools",
        "cutlery",
        "razors",
        "hand-operated garden tools",
        "side arms",
        "scissors",
        "electric hair straighteners",
        "manicure sets",
    ],  # noqa: E501
    9: [
        "computer software",
        "downloadable software applications",
        "smartphones",
        "computer hardware",
        "headphones",
        "batteries",
        "sunglasses",
        "protective helmets",
        "scientific instruments",
        "downloadable electronic publications",
    ],  # noqa: E501
    10: [
        "surgical apparatus and instruments",
        "medical apparatus",
        "dental apparatus",
        "orthopaedic articles",
        "hearing aids",
        "massage apparatus",
        "syringes",
        "diagnostic apparatus for medical purposes",
    ],  # noqa: E501
    11: [
        "lighting apparatus",
        "heating apparatus",
        "air conditioning apparatus",
        "refrigerators",
        "led light bulbs",
        "water purification installations",
        "solar collectors",
        "cooking ovens",
    ],  # noqa: E501
    12: [
        "vehicles",
        "electric vehicles",
        "bicycles",
        "tyres",
        "automobile parts",
        "drones",
        "boats",
        "autonomous land vehicles",
        "electric scooters",
    ],  # noqa: E501
    13: [
        "firearms",
        "ammunition",
        "fireworks",
        "explosives",
        "signal rockets",
        "air guns [weapons]",
        "gun cases",
        "flares",
    ],  # noqa: E501
    14: [
        "jewellery",
        "watches",
        "precious metals",
        "precious stones",
        "rings [jewellery]",
        "necklaces",
        "key rings",
        "smartwatch straps",
    ],  # noqa: E501
    15: [
        "musical instruments",
        "guitars",
        "pianos",
        "drums [musical instruments]",
        "electronic musical instruments",
        "music stands",
        "violins",
        "tuning forks",
    ],  # noqa: E501
    16: [
        "printed matter",
        "books",
        "stationery",
        "paper",
        "office requisites except furniture",
        "packaging materials of paper",
        "posters",
        "calendars",
        "artists' materials",
    ],  # noqa: E501
    17: [
        "rubber",
        "plastics in extruded form",
        "insulating materials",
        "flexible pipes not of metal",
        "sealing rings",
        "packing materials of rubber or plastics",
        "insulating tape",
        "synthetic resins semi-processed",
    ],  # noqa: E501
    18: [
        "leather",
        "handbags",
        "travel bags",
        "umbrellas",
        "backpacks",
        "wallets",
        "suitcases",
        "harness for animals",
        "leather straps",
    ],  # noqa: E501
    19: [
        "building materials not of metal",
        "cement",
        "wood panels",
        "tiles not of metal",
        "glass for building",
        "concrete",
        "asphalt",
        "non-metallic windows",
    ],  # noqa: E501
    20: [
        "furniture",
        "mirrors",
        "picture frames",
        "mattresses",
        "cushions",
        "office furniture",
        "shelves",
        "beds",
        "containers not of metal",
    ],  # noqa: E501
    21: [
        "household utensils",
        "kitchen containers",
        "glassware",
        "porcelain",
        "cookware",
        "toothbrushes",
        "cleaning cloths",
        "drinking bottles",
        "combs",
    ],  # noqa: E501
    22: [
        "ropes",
        "nets",
        "tents",
        "tarpaulins",
        "sacks for transport",
        "raw fibrous textile materials",
        "padding materials",
        "hammocks",
    ],  # noqa: E501
    23: [
        "yarns for textile use",
        "threads for textile use",
        "cotton thread and yarn",
        "embroidery thread",
        "wool yarn",
        "sewing thread",
        "elastic yarns",
        "silk yarn",
    ],  # noqa: E501
    24: [
        "textiles",
        "bed linen",
        "table linen",
        "household linen",
        "curtains",
        "towels",
        "fabrics for textile use",
        "blankets",
    ],  # noqa: E501
    25: [
        "clothing",
        "footwear",
        "headwear",
        "t-shirts",
        "sportswear",
        "jackets",
        "trousers",
        "shoes",
        "dresses",
        "underwear",
    ],  # noqa: E501
    26: [
        "lace and embroidery",
        "ribbons and braid",
        "buttons",
        "zip fasteners",
        "artificial flowers",
        "hair ornaments",
        "badges for wear not of precious metal",
        "pins other than jewellery",
    ],  # noqa: E501
    27: ["carpets", "rugs", "mats", "linoleum", "wallpaper", "floor coverings", "gymnasium mats", "artificial turf"],  # noqa: E501
    28: [
        "games",
        "toys",
        "sporting articles",
        "video game apparatus",
        "playing cards",
        "gymnastic apparatus",
        "christmas tree decorations",
        "fishing tackle",
        "dolls",
    ],  # noqa: E501
    29: [
        "meat",
        "fish",
        "poultry",
        "milk products",
        "cheese",
        "edible oils and fats",
        "preserved fruits",
        "eggs",
        "yoghurt",
    ],  # noqa: E501
    30: [
        "coffee",
        "tea",
        "cocoa",
        "bread",
        "pastry and confectionery",
        "chocolate",
        "rice",
        "pasta",
        "ice cream",
        "sauces [condiments]",
    ],  # noqa: E501
    31: [
        "fresh fruits and vegetables",
        "seeds for planting",
        "live plants",
        "natural flowers",
        "animal foodstuffs",
        "raw grains",
        "live animals",
        "malt for brewing",
    ],  # noqa: E501
    32: [
        "beers",
        "mineral and aerated waters",
        "fruit juices",
        "non-alcoholic beverages",
        "energy drinks",
        "syrups for making beverages",
        "smoothies",
        "isotonic beverages",
    ],  # noqa: E501
    33: ["wines", "spirits", "whisky", "liqueurs", "gin", "alcoholic beverages except beers", "cider", "vodka"],  # noqa: E501
    34: [
        "tobacco",
        "cigarettes",
        "electronic cigarettes",
        "cigars",
        "smokers' articles",
        "matches",
        "liquid solutions for use in electronic cigarettes",
        "lighters for smokers",
    ],  # noqa: E501
    35: [
        "advertising",
        "business management",
        "retail services",
        "online retail store services",
        "marketing",
        "office functions",
        "business consultancy",
        "import-export agency services",
        "data processing [office functions]",
    ],  # noqa: E501
    36: [
        "financial services",
        "insurance services",
        "real estate affairs",
        "banking",
        "investment services",
        "payment processing services",
        "crowdfunding",
        "cryptocurrency exchange services",
    ],  # noqa: E501
    37: [
        "construction services",
        "repair services",
        "installation services",
        "vehicle maintenance",
        "building construction supervision",
        "cleaning of buildings",
        "installation of computer hardware",
        "charging of electric vehicles",
    ],  # noqa: E501
    38: [
        "telecommunications",
        "broadcasting",
        "providing access to databases",
        "streaming of data",
        "electronic messaging",
        "telecommunication services via platforms and portals on the internet",
        "mobile telephone services",
        "video conferencing services",
    ],  # noqa: E501
    39: [
        "transport",
        "packaging and storage of goods",
        "travel arrangement",
        "freight forwarding",
        "delivery of goods",
        "car rental",
        "parking services",
        "logistics services",
    ],  # noqa: E501
    40: [
        "treatment of materials",
        "recycling of waste",
        "printing services",
        "custom manufacturing",
        "metal treating",
        "food processing",
        "dyeing services",
        "energy production",
    ],  # noqa: E501
    41: [
        "education",
        "providing of training",
        "entertainment",
        "sporting and cultural activities",
        "organisation of events",
        "publication of books",
        "online gaming services",
        "fitness club services",
        "film production",
    ],  # noqa: E501
    42: [
        "software as a service [saas]",
        "computer programming",
        "design and development of computer software",
        "scientific research",
        "cloud computing",
        "hosting of websites",
        "technological consultancy",
        "engineering services",
        "platform as a service [paas]",
        "industrial design",
    ],  # noqa: E501
    43: [
        "restaurant services",
        "hotel services",
        "catering",
        "bar services",
        "cafe services",
        "temporary accommodation",
        "takeaway food services",
        "boarding for animals",
    ],  # noqa: E501
    44: [
        "medical services",
        "veterinary services",
        "beauty care services",
        "hairdressing services",
        "agriculture services",
        "dental services",
        "pharmacy advice",
        "horticulture services",
    ],  # noqa: E501
    45: [
        "legal services",
        "security services for the protection of property",
        "licensing of intellectual property",
        "dating services",
        "funeral services",
        "online social networking services",
        "personal background investigations",
        "clothing rental",
    ],  # noqa: E501
}

# Approximate popularity ranking of classes in EU trade mark applications (most frequent first).
POPULARITY_RANK: list[int] = [
    35, 9, 42, 41, 25, 16, 3, 5, 30, 43, 44, 28, 29, 36, 33, 32, 21, 18, 11, 37,
    14, 7, 39, 20, 12, 45, 38, 31, 10, 1, 6, 24, 19, 8, 4, 2, 26, 17, 34, 27,
    40, 22, 15, 23, 13,
]  # fmt: skip

# Sectors: groups of related classes (a class can be in several). They shape the latent relatedness structure.
SECTORS: dict[str, tuple[float, list[int]]] = {  # name: (share of firms, classes)
    "digital": (0.17, [9, 42, 38, 35, 41]),
    "fashion": (0.12, [25, 18, 14, 3, 26, 24, 35]),
    "food": (0.12, [29, 30, 31, 32, 43, 35]),
    "drinks": (0.04, [32, 33, 30, 43]),
    "health": (0.08, [5, 10, 44, 3, 1]),
    "chemicals": (0.05, [1, 2, 4, 17, 40, 19]),
    "machinery": (0.07, [7, 8, 11, 12, 37, 6]),
    "mobility": (0.04, [12, 39, 37, 9, 36]),
    "building": (0.06, [19, 6, 20, 27, 37, 11, 21]),
    "media": (0.07, [41, 16, 9, 28, 38, 35]),
    "finance": (0.07, [36, 35, 45, 42]),
    "home": (0.05, [21, 20, 24, 11, 8, 3]),
    "textiles": (0.02, [22, 23, 24, 26, 25]),
    "leisure": (0.02, [28, 13, 15, 41, 34]),
    "tobacco": (0.02, [34, 33, 35]),
}
