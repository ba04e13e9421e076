"""The item labeller's curated patterns, written from the rubric (`/work/shared/TWIN_TRANSITION_RUBRIC.md`).

Each rule is `(regex, reason, classes)`; `classes` limits it to those Nice classes (None: any class). For each label
the first matching rule decides: the `*_FIRST` includes (specific wordings a broader trap would catch), then the traps
(0, with the trap's reason), then the includes (1, with the include's reason); no match gives 0 without a reason.
Reviewed manual overrides (`data/item_overrides.json`) win over all of them.
"""

from __future__ import annotations

Rule = tuple[str, str, tuple[int, ...] | None]

GREEN_FIRST: list[Rule] = [
    (
        r"(glass|mineral|slag) wool \[insulator\]|(glass wool|fibreglass|fibreglass fabrics) for insulation|"
        r"insulating glass for building|^building insulating$",
        "energy efficiency: thermal building insulation",
        None,
    ),
]
GREEN_TRAPS: list[Rule] = [
    (r"energy drinks", "trap: 'energy' drink, a beverage", None),
    (r"solarium", "trap: solarium (tanning), not solar energy", None),
    (r"not for solar energy|other than for solar", "trap: explicitly not for solar energy", None),
    (
        r"\bair (purif|filter|condition)|germicidal|\bair cleaning|\bair freshen|\bair deodor",
        "trap: indoor air treatment",
        None,
    ),
    (r"climate control|environmental control", "trap: climate control (indoor HVAC), not the environment", None),
    (r"hydrogen (peroxide|inhaler|water)|^hydrogen$", "trap: hydrogen as a chemical or wellness product", None),
    (
        r"^electrical energy$|distribution of energy|electricity distribution|production of energy$",
        "trap: generic energy supply or trading, no renewable source named",
        None,
    ),
    (r"fuel[- ](saving|economi)|coal saving", "trap: fossil-fuel saving, not renewable or e-mobility", None),
    (r"biodegradable bone", "trap: medically resorbable, not an environmental material", None),
    (
        r"batteries, electric, for vehicles|vehicle battery charging|rental of batteries",
        "trap: ordinary vehicle battery, not e-mobility",
        None,
    ),
    (
        r"dust (meter|measuring)|weather station|thermostat",
        "trap: measuring apparatus, no environmental purpose",
        None,
    ),
    (
        r"carbon (paper|fibre|black|disulfide|tetrachloride|brushes|for arc)|^carbon$|carbonat|bicarbonate",
        "trap: carbon as a material or chemical, not carbon management",
        None,
    ),
    (r"fissionable|nuclear", "trap: nuclear energy is not in the rubric's green list", None),
    (r"reusable ice cubes", "trap: reusable, but replaces nothing disposable", None),
    (
        r"waste disposal units|dustbins|trash cans|waste paper baskets|garbage bags|waste dumpsters|dog waste|"
        r"pet waste|"
        r"medical waste",
        "trap: ordinary waste container or kitchen disposal unit, not waste treatment",
        None,
    ),
    (r"rubbish trucks", "trap: ordinary vehicle", None),
    (
        r"drinking water|incorporating water purifiers|water softening",
        "trap: household drinking-water appliance, like indoor air purifiers",
        None,
    ),
    (
        r"insulat",
        "trap: electrical, acoustic, moisture or container insulation, not thermal building insulation",
        None,
    ),
]
GREEN_RULES: list[Rule] = [
    (
        r"photovoltaic|solar (panel|batter|thermal|furnace|cell|collector|water heater)",
        "renewable: solar energy",
        None,
    ),
    (r"wind turbine|wind[- ]powered", "renewable: wind energy", None),
    (
        r"renewable|biomass fuel|biofuel|biogas|hydrogen fuel|hydrogen[- ]fuel|hydrogen dispensing",
        "renewable or clean fuel",
        None,
    ),
    (r"heat pumps", "energy efficiency: heat pumps", None),
    (r"energy[- ]saving|energy auditing", "energy efficiency services", None),
    (
        r"electric (vehicles|bicycles)|motors, electric, for land vehicles|charging (stations for|"
        r"of) electric vehicles|"
        r"hydrogen-fueled cars|self-balancing",
        "e-mobility",
        None,
    ),
    (r"recycl|upcycl|compost\b|^compost$", "recycling / circular economy", None),
    (r"reusable", "circular economy: reusable replacement of a disposable product", None),
    (r"\bwaste\b|trash", "waste management or treatment", (7, 11, 39, 40)),
    (
        r"sewage|wastewater|water[- ]purif|water treat|water filtering|desalination|water-purifying",
        "water or sewage treatment",
        None,
    ),
    (r"pollution|catalytic converters|decontamination of hazardous", "pollution control", None),
    (r"carbon (offset|credit|capture)|captured carbon|net zero", "carbon management", None),
    (r"environmental protection|reforestation|wildlife management", "environmental services", None),
    (r"biodegradable|compostable", "biodegradable material", None),
]

DIGITAL_FIRST: list[Rule] = [
    (r"smart speakers|wearable video display|virtual reality headsets", "smart/connected or digital device", (9,)),
]
DIGITAL_TRAPS: list[Rule] = [
    (
        r"(cases|covers|sleeves|bags|straps|lanyards|holders|stands|cradles|ring holders|ring stands|"
        r"screen protectors|"
        r"protective films|cooling (pads|fans)|dashboard mats|gimbals|flash lamps|selfie)\b.*\b(smartphone|"
        r"mobile|phone|"
        r"laptop|tablet|computer|personal digital|game console)",
        "trap: accessory for a phone or computer, does not process data",
        None,
    ),
    (
        r"(smartphone|mobile phone|laptop|computer)s? (straps|chargers|screen protectors|ring|lanyard)",
        "trap: accessory for a phone or computer",
        None,
    ),
    (r"selfie|lanyards for cell|cell phone straps|hands-free kits", "trap: phone accessory", None),
    (
        r"digital (thermo|weather)|thermostat",
        "trap: digital measuring or climate device, not digital technology",
        None,
    ),
    (r"electronic cigarettes", "trap: e-cigarettes", None),
    (r"spectacle|eyewear|sunglasses|goggles|contact lens", "trap: optical goods", None),
    (
        r"headphones|headsets|earphones|loudspeakers|speakers?\b|audio|amplifier|microphone|"
        r"radios\b|vehicle radios|record player|cassette|compact disc players|DVD players|personal stereos|"
        r"portable media players|effects pedals|equalizers|subwoofers|wah-wah|juke boxes, musical",
        "trap: audio or audiovisual equipment",
        (9, 41),
    ),
    (
        r"mouse pads|wrist rests|trolleys for computers|stands adapted for laptops",
        "trap: computer furniture or accessory",
        None,
    ),
    (
        r"online advertising|website traffic optimization|web indexing for commercial|marketing|advertising|"
        r"search engine optimi",
        "trap: digital marketing",
        (35,),
    ),
    (
        r"online ordering|online retail (?!services for downloadable)|retail services relating to (?!downloadable)",
        "trap: online retail or ordering of physical goods",
        None,
    ),
    (
        r"via a website|information via a web",
        "trap: an ordinary information service delivered through a website",
        None,
    ),
    (r"electronic sports competitions", "trap: event organisation", None),
    (
        r"authenticated by non-fungible tokens.*(clothing)|clothing authenticated",
        "trap: physical goods with an NFT certificate",
        None,
    ),
    (r"\bchargers|\bcharging", "trap: battery charger or charging, not data", (9, 37)),
]
DIGITAL_RULES: list[Rule] = [
    (
        r"software|computer program|operating program|\bSaaS\b|\bPaaS\b|platform as a service|applications?\b.*"
        r"downloadable|downloadable.*applications?",
        "software",
        None,
    ),
    (
        r"computers?\b|computer (hardware|peripheral|memory|keyboards|screen)|data processing|"
        r"notebook computers|laptop|"
        r"tablet computers|thin client|quantum comput|processors|microprocessors|monitors \[computer|mouse \[computer|"
        r"printers for use with computers|plotters|scanners for data|interfaces for computers|couplers \[data|"
        r"readers \[data|disk drives|trackballs|joysticks for use with computers|data gloves|virtual keyboards",
        "computer hardware, peripherals or data processing",
        (9, 35, 37, 40, 42),
    ),
    (
        r"integrated circuit|semiconductors|chips \[integrated|transistors|printed circuit",
        "semiconductors and electronic components of computers",
        (9,),
    ),
    (
        r"smartphones|mobile telephones|telephone (apparatus|receivers|transmitters)|cordless telephones|video "
        r"telephones|radiotele|teleprinters|telegraphs \[|facsimile|transmitters|transmitting sets|modems|routers|"
        r"answering machines|radio pagers|walkie-talkies|transponders|frequency extenders|phototelegraphy|"
        r"acoustic couplers|telecommunication apparatus|incorporating telecommunication",
        "telecom hardware",
        (9, 28),
    ),
    (
        r"smartwatches|smartglasses|smart rings|smart speakers|smart light bulbs|smart medicine|wearable (activity "
        r"trackers|computers|video)|connected bracelets|home automation|virtual reality|head-mounted|digital photo|"
        r"electronic book readers|electronic (agendas|pens|notice boards|pocket translators|interactive whiteboards|"
        r"tags for goods|dictionaries)|personal digital assistants|interactive touchscreen|digital signs|haptic suits|"
        r"digital sensors",
        "smart/connected or digital device",
        None,
    ),
    (
        r"USB flash|memory cards|(magnetic|optical) data media|optical discs|disks, magnetic|floppy|read-only memory|"
        r"magnetic tape units|encoded|smart cards|security tokens|black boxes \[data|data sets|magnetic encoders|"
        r"identity cards|biometric (passports|identity)",
        "data storage or encoded data carrier",
        (9,),
    ),
    (
        r"GPS|Global Positioning|satellite navigational|navigation apparatus for vehicles|autonomous navigation",
        "digital navigation hardware",
        (9,),
    ),
    (
        r"bar code readers|optical character readers|3D scanners|document scanners|point-of-sale|"
        r"credit card terminals|"
        r"automated teller|self-checkout|cryptocurrency hardware|e-wallets|cryptographic keys",
        "data capture or payment hardware",
        (9,),
    ),
    (
        r"downloadable|electronic publications|video game|game consoles|consoles for playing|artificial intelligence|"
        r"robots having communication|user-programmable|robotic cars|self-driving|non-fungible",
        "digital content, games hardware or AI",
        None,
    ),
    (r".", "telecommunication or network service (class 38)", (38,)),
    (
        r"website|web servers|hosting|cloud|data|digiti[sz]ation|search engines|computer|software|IT\]|information "
        r"technology|internet|blockchain|crypto|artificial intelligence|telecommunication|mobile phones|"
        r"smart contracts|"
        r"quantum|neuromorphic|virtual|online",
        "IT, software or data service",
        (42,),
    ),
    (
        r"computer|database|data processing|data search|online marketplace|downloadable",
        "data processing or online platform",
        (35,),
    ),
    (
        r"electronic (funds|transfer)|online banking|mobile banking|crypto|card payments|blockchain",
        "online payment, banking or crypto platform",
        (36,),
    ),
    (
        r"online|on-line|video-on-demand|electronic (books|desktop)|virtual|electronic book readers|robots having",
        "online digital content or platform",
        (41,),
    ),
    (r"software|internet|online social|chatrooms", "software licensing or online platform service", (45,)),
    (r"computer hardware|telephone installation", "IT or telecom installation and repair", (37,)),
    (r"electronically stored data|online application", "data storage or online platform", (39,)),
    (r"printers for use with computers", "computer hardware rental", (40,)),
    (r"medical data", "remote data monitoring", (44,)),
]
