"""Downloads of the map layers: streaming GeoJSON (streaming.py), other file formats (files.py)."""
