"""Signals the layers above listen to, so that accounts never imports them."""
from django.dispatch import Signal

# Sent inside the transaction that confirms a person at a unit (accounts.services.membership_confirm),
# with person_id, organisation_id and previous_id (the unit they were confirmed at before, or None):
# hours moves their yearly figures and the units' staff counts.
person_moved = Signal()
