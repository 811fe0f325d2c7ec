"""The image classifier search (`archsearch search --task classifier`), written on the public API only."""
