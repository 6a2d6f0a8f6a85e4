"""Settings for the studio. Everything an operator changes comes from the environment,
read strictly (studio.core.env: a value that is not what its variable needs stops start-up).

DJANGO_SETTINGS_MODULE=studio.settings loads this package; its parts, by concern, are read
in order (a later part imports what it needs of an earlier one).
"""

from .base import *  # noqa: F403
from .jobs import *  # noqa: F403
from .operations import *  # noqa: F403
from .security import *  # noqa: F403
