"""BibTeX for the methods and data sources the cards cite (a card's "Citation" section)."""

from __future__ import annotations

BIBTEX: dict[str, str] = {
    "marketbert_release": """@software{marketbert_release,
  title = {marketbert-release: firm trademark sequences, MarketBERT and TwinTransition classifiers},
  year = {2026},
  note = {Version {version}}
}""",
    "market2vec": """@misc{market2vec,
  title = {Market2Vec and MarketBERT: firms' trademark timelines as sentences of Nice classes and terms},
  note = {The idea this model follows: a firm's filings as a sentence, a masked filing as the forecast; cite the
          original authors' publication where you have it}
}""",
    "life2vec": """@article{savcisens2024life2vec,
  title = {Using sequences of life-events to predict human lives},
  author = {Savcisens, Germans and Eliassi-Rad, Tina and Hansen, Lars Kai and Mortensen, Laust Hvas and
            Lilleholt, Lau and Rogers, Anna and Zettler, Ingo and Lehmann, Sune},
  journal = {Nature Computational Science},
  volume = {4},
  number = {1},
  pages = {43--56},
  year = {2024},
  doi = {10.1038/s43588-023-00573-5}
}""",
    "bert": """@inproceedings{devlin2019bert,
  title = {{BERT}: Pre-training of Deep Bidirectional Transformers for Language Understanding},
  author = {Devlin, Jacob and Chang, Ming-Wei and Lee, Kenton and Toutanova, Kristina},
  booktitle = {Proceedings of NAACL-HLT 2019},
  pages = {4171--4186},
  year = {2019}
}""",
    "relatedness": """@article{hidalgo2007product,
  title = {The Product Space Conditions the Development of Nations},
  author = {Hidalgo, C{\\'e}sar A. and Klinger, Bailey and Barab{\\'a}si, Albert-L{\\'a}szl{\\'o} and
            Hausmann, Ricardo},
  journal = {Science},
  volume = {317},
  number = {5837},
  pages = {482--487},
  year = {2007}
}""",
    "setfit": """@article{tunstall2022setfit,
  title = {Efficient Few-Shot Learning Without Prompts},
  author = {Tunstall, Lewis and Reimers, Nils and Jo, Unso Eun Seo and Bates, Luke and Korat, Daniel and
            Wasserblat, Moshe and Pereg, Oren},
  journal = {arXiv preprint arXiv:2209.11055},
  year = {2022}
}""",
    "sbert": """@inproceedings{reimers2019sbert,
  title = {Sentence-{BERT}: Sentence Embeddings using Siamese {BERT}-Networks},
  author = {Reimers, Nils and Gurevych, Iryna},
  booktitle = {Proceedings of EMNLP-IJCNLP 2019},
  year = {2019}
}""",
    "nice": """@misc{wipo2024nice,
  title = {Nice Classification, 12th edition, version 2024 ({NCL} 12-2024)},
  author = {{World Intellectual Property Organization}},
  year = {2024},
  howpublished = {\\url{https://www.wipo.int/classifications/nice/}}
}""",
    "euipo": """@misc{euipo_open_data,
  title = {{EUIPO} Open Data: European Union trade mark data},
  author = {{European Union Intellectual Property Office}},
  howpublished = {\\url{https://euipo.europa.eu/ohimportal/en/open-data}}
}""",
    "uspto": """@misc{uspto_trademark_data,
  title = {Trademark Case Files Dataset and Trademark Daily {XML}},
  author = {{United States Patent and Trademark Office}},
  howpublished = {\\url{https://www.uspto.gov/ip-policy/economic-research/research-datasets/trademark-case-files-dataset}}
}""",
}


def bibtex(*keys: str, version: str = "") -> str:
    """The BibTeX entries for `keys`, in that order, as one block."""
    return "\n\n".join(BIBTEX[key].replace("{version}", version) for key in keys)
