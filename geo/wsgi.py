import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
application = get_wsgi_application()


def _check_static_manifest() -> None:
    """Refuse to serve hashed static names without the collected manifest.

    Every page names its CSS and scripts through the manifest; without it each page is a 500
    (issue 14: DEBUG=0 /markets/). Better one clear line at start than a 500 per page.
    """
    from django.conf import settings

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if settings.STATIC_MANIFEST and not manifest.exists():
        raise ImproperlyConfigured(
            f"No collected static files in {settings.STATIC_ROOT} (staticfiles.json is missing): "
            "run `manage.py collectstatic --noinput` first (`make run` and `make prod` do), "
            "or set STATIC_MANIFEST=0 to serve the source folders."
        )


_check_static_manifest()
