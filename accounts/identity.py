"""Who is signed in, read from the cache: the account and its role grants (with their organisations)
in one round trip instead of two queries on every page.

An entry is the user as the backend would load it, with roles.grants already filled in, stamped
with the person's version and the organisations' generation as they were before the database was
read. Every write that could change what an entry says replaces a stamp, and again after the
commit, so that no entry written before the commit is read after it:
- the account saved or deleted (password, 停用, a sign-in's last_login, 下次登录须修改密码);
- one of its role grants saved or deleted;
- the person confirmed at another unit (person_moved: the membership service writes by update());
- any organisation saved, deleted or moved in the tree (treebeard writes the paths by update()):
  the generation is replaced, so every entry is stale at once.
The timeout bounds what no signal reports: a bulk update of accounts or grants (none outside the
synthetic seeder), a restore (which clears the cache itself).
"""
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from treebeard.mp_tree import nodes_deleted, path_updated

from . import roles
from .models import Organisation, RoleGrant, User
from .signals import person_moved

ENTRY_KEY = "identity:v1:user:{}"
# Stamps an entry must carry to be read: the person's own, and the organisations' (one for all).
# A change replaces the stamp rather than deleting the entry: a page that read the database before
# the change committed may still write its entry afterwards, under a stamp no one reads any more.
VERSION_KEY = "identity:v1:version:{}"
GENERATION_KEY = "identity:v1:organisations"
CACHE_SECONDS = 300
# Longer than an entry lives: a stamp that expires first only makes the entries under it miss once.
STAMP_SECONDS = 3 * CACHE_SECONDS


def _stamp(key, found):
    """The stamp under `key` (as read in `found`), made when there is none yet."""
    if found.get(key) is not None:
        return found[key]
    new = uuid.uuid4().hex
    if cache.add(key, new, STAMP_SECONDS):
        return new
    return cache.get(key) or new  # another process made one first


def load(user_id, can_authenticate):
    """The active account `user_id` with its grants, or None. `can_authenticate(user)` is the
    backend's own check (is_active); a refused account is never cached."""
    entry_key, version_key = ENTRY_KEY.format(user_id), VERSION_KEY.format(user_id)
    found = cache.get_many([entry_key, version_key, GENERATION_KEY])
    # Both stamps are fixed before the database is read: a change after this point replaces them.
    stamps = (_stamp(version_key, found), _stamp(GENERATION_KEY, found))
    entry = found.get(entry_key)
    if entry is not None and entry[0] == stamps:
        return entry[1]
    user = User._default_manager.select_related("organisation").filter(pk=user_id).first()
    if user is None or not can_authenticate(user):
        return None
    roles.grants(user)  # kept on the instance, and so in the entry (as is the unit, an applicant's pages show)
    cache.set(entry_key, (stamps, user), CACHE_SECONDS)
    return user


def _restamp(key):
    def restamp():
        cache.set(key, uuid.uuid4().hex, STAMP_SECONDS)
    restamp()
    transaction.on_commit(restamp)


def forget(user_id):
    _restamp(VERSION_KEY.format(user_id))


def forget_everyone():
    _restamp(GENERATION_KEY)


@receiver([post_save, post_delete], sender=User, dispatch_uid="identity-user-changed")
def _user_changed(sender, instance, **kwargs):
    forget(instance.pk)


@receiver([post_save, post_delete], sender=RoleGrant, dispatch_uid="identity-grant-changed")
def _grant_changed(sender, instance, **kwargs):
    forget(instance.user_id)


@receiver(person_moved, dispatch_uid="identity-person-moved")
def _person_moved(sender, person_id, **kwargs):
    forget(person_id)


@receiver([post_save, post_delete], sender=Organisation, dispatch_uid="identity-organisation-changed")
@receiver([path_updated, nodes_deleted], sender=Organisation, dispatch_uid="identity-tree-changed")
def _organisations_changed(sender, **kwargs):
    forget_everyone()
