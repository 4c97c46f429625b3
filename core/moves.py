"""A model that changes app keeps its table and its rows: MoveModel, in the receiving app's
migration, changes Django's record of where the model lives (the migration state) and relabels its
content type, so permissions granted on it and admin history follow it (as RenameModel's do). The
moved class names its old table in Meta.db_table, so the table is not touched, and backups taken
before and after the move restore alike. The migration must depend on contenttypes."""
from django.db import router
from django.db.migrations.operations.base import Operation


class MoveModel(Operation):
    reduces_to_sql = False
    reversible = True

    def __init__(self, name, from_app):
        self.name = name
        self.from_app = from_app

    def deconstruct(self):
        return self.__class__.__qualname__, [], {"name": self.name, "from_app": self.from_app}

    def state_forwards(self, app_label, state):
        old_key = (self.from_app, self.name.lower())
        moved = state.models[old_key].clone()
        moved.app_label = app_label
        moved.options["db_table"] = moved.options.get("db_table") or f"{self.from_app}_{self.name.lower()}"
        state.remove_model(*old_key)
        state.add_model(moved)

    def _relabel(self, apps, schema_editor, source, target):
        ContentType = apps.get_model("contenttypes", "ContentType")
        db = schema_editor.connection.alias
        if not router.allow_migrate_model(db, ContentType):
            return
        types = ContentType.objects.db_manager(db)
        # On a new database the content types are made after migrating, under the new app already.
        if not types.filter(app_label=target, model=self.name.lower()).exists():
            types.filter(app_label=source, model=self.name.lower()).update(app_label=target)
            ContentType.objects.clear_cache()

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        self._relabel(from_state.apps, schema_editor, self.from_app, app_label)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        self._relabel(from_state.apps, schema_editor, app_label, self.from_app)

    def describe(self):
        return f"Move {self.from_app}.{self.name} here, keeping its table"

    @property
    def migration_name_fragment(self):
        return f"move_{self.name.lower()}"
