"""Who is signed in, read from the cache: the account and its role grants (with their organisations)
in one round trip instead of two queries on every page.

An entry is the user as the backend would load it, with roles.grants already filled in, stamped
with the organisations' generation. Every write that could change what an entry says drops it,
and again after the commit (a page reading meanwhile may have put the old one back):
- the account saved or deleted (password, 停用, a sign-in's last_login, 下次登录须修改密码);
- one of its role grants saved or deleted;
- the person confirmed at another unit (person_moved: the membership service writes by update());
- any organisation saved, deleted or moved in the tree (treebeard writes the paths by update()):
  the generation is dropped, so every entry is stale at once.
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

USER_KEY = "identity:v1:user:{}"
GENERATION_KEY = "identity:v1:organisations"
CACHE_SECONDS = 300


def load(user_id, can_authenticate):
    """The active account `user_id` with its grants, or None. `can_authenticate(user)` is the
    backend's own check (is_active); a refused account is never cached."""
    key = USER_KEY.format(user_id)
    found = cache.get_many([key, GENERATION_KEY])
    generation = found.get(GENERATION_KEY)
    entry = found.get(key)
    if entry is not None and generation is not None and entry[0] == generation:
        return entry[1]
    user = User._default_manager.select_related("organisation").filter(pk=user_id).first()
    if user is None or not can_authenticate(user):
        return None
    roles.grants(user)  # kept on the instance, and so in the entry (as is the unit, an applicant's pages show)
    if generation is None:
        generation = uuid.uuid4().hex
        # Another process may have set its own meanwhile: this entry then misses once, no more.
        cache.add(GENERATION_KEY, generation, CACHE_SECONDS)
    cache.set(key, (generation, user), CACHE_SECONDS)
    return user


def _drop(*keys):
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def forget(user_id):
    _drop(USER_KEY.format(user_id))


def forget_everyone():
    _drop(GENERATION_KEY)


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
