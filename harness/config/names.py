"""The names the YAML may use for things that live on higher floors: validating a matrix must not import them."""

BUILDERS = ("classic", "buildkit")
