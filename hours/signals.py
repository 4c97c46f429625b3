"""What hours tells the layers above (which it may not import): certificates listens."""
from django.dispatch import Signal

# Sent inside the revoking transaction with `revocation` (hours.models.Revocation): the years of
# its declaration no longer count. certificates marks the 学时认定单 stating them 已撤销.
years_revoked = Signal()
