"""The one Nice Classification reference of the project: the 45 classes and their headings (12th edition).

Shared by the dataset builder, the cards and the Space. `official_heading(c)` is WIPO's heading of class `c`
(NCL 12-2024, from `official.py`, with the 9,915 official indications); `NICE_HEADINGS` are short display labels
of those headings, for tables and charts where the official text (up to 872 characters) does not fit.
"""

from __future__ import annotations

NUM_NICE_CLASSES = 45

# Short display labels: each abbreviates the official heading of its class (`official_heading`).
NICE_HEADINGS: dict[int, str] = {
    1: "Chemicals",
    2: "Paints, varnishes, colorants",
    3: "Cosmetics and cleaning preparations",
    4: "Industrial oils, lubricants, fuels",
    5: "Pharmaceuticals",
    6: "Common metals and metal goods",
    7: "Machines and machine tools",
    8: "Hand tools and cutlery",
    9: "Computers, software, scientific apparatus",
    10: "Medical apparatus",
    11: "Lighting, heating, cooling, sanitary apparatus",
    12: "Vehicles",
    13: "Firearms and fireworks",
    14: "Jewellery and watches",
    15: "Musical instruments",
    16: "Paper goods and printed matter",
    17: "Rubber, plastics, insulating materials",
    18: "Leather goods, luggage, umbrellas",
    19: "Non-metallic building materials",
    20: "Furniture",
    21: "Household utensils, glassware",
    22: "Ropes, tents, raw textile fibres",
    23: "Yarns and threads",
    24: "Textiles and household linen",
    25: "Clothing, footwear, headwear",
    26: "Lace, ribbons, haberdashery",
    27: "Carpets and floor coverings",
    28: "Games, toys, sporting goods",
    29: "Meat, dairy, preserved foods",
    30: "Coffee, flour, bakery, confectionery",
    31: "Agricultural produce, live animals",
    32: "Beers and non-alcoholic beverages",
    33: "Alcoholic beverages (except beers)",
    34: "Tobacco and smokers' articles",
    35: "Advertising, business, retail services",
    36: "Financial, insurance, real-estate services",
    37: "Construction, repair, installation",
    38: "Telecommunications",
    39: "Transport, storage, travel",
    40: "Treatment of materials",
    41: "Education, entertainment, sport",
    42: "Scientific and IT services, software development",
    43: "Food and drink services, accommodation",
    44: "Medical, beauty, agricultural services",
    45: "Legal, security, personal services",
}


def class_label(nice_class: int) -> str:
    """`"09 Computers, software, scientific apparatus"` for class 9."""
    return f"{nice_class:02d} {NICE_HEADINGS[nice_class]}"


def official_heading(nice_class: int) -> str:
    """The official NCL 12-2024 heading of a class, e.g. `"Clothing, footwear, headwear"` for class 25."""
    from nice_classification.official import class_texts

    return class_texts()[nice_class].heading
