"""The one exception a build stage raises when the build must fail."""


class BuildError(Exception):
    """A build failure with a message that names the file, the subject and the rule."""
