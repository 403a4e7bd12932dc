"""Pure classification: the plug-in contract and the classifiers. No I/O."""
