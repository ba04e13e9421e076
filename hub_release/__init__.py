"""marketbert-release: publish trademark sequences, MarketBERT and TwinTransition models to the Hugging Face Hub."""

__version__ = "0.1.0"
