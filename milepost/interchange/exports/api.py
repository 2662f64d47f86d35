"""Endpoints of this area; assembled in ``milepost.interchange.api``."""

from ninja import Router

router = Router()
