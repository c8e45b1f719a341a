"""The names the YAML may use for things that live on higher floors: validating a matrix must not import them."""

BUILDERS = ("classic", "buildkit", "buildah")

#: The engine family each builder builds on: Buildah is podman's, the classic builder and BuildKit are dockerd's.
BUILDER_FAMILIES = {"classic": "docker", "buildkit": "docker", "buildah": "podman"}
