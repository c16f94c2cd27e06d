"""Static files under their hashed names, in DEBUG too: the demo serves what production serves."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class ManifestStaticStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed manifest storage whose URLs are hashed whatever ``DEBUG`` says.

    Django's ``HashedFilesMixin`` names the unhashed file while ``DEBUG`` is on; `make run` keeps
    the demo in DEBUG but serves the collected manifest (hashed names, cached for a year).
    """

    def url(self, name: str | None, force: bool = False) -> str:
        if not name:
            # The static root itself (``{% static "" %}``, a service worker's scope test) has no
            # hash; Django's manifest lookup would raise for it (a 500 on the page).
            return self.base_url
        return super().url(name, force=True)
