"""Prompt templates, one file each, shipped inside the wheel and read with importlib.resources."""
