"""The operations app's models; each part keeps its models in its own module, imported here so
that Django finds them."""
