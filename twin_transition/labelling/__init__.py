"""Tools that build the TwinTransition labelled data: item labels for the Nice indications, composed descriptions,
and the real-registry validation set (see `data/LABELLING_GUIDE.md`)."""
