"""A model that changes app keeps its table and its rows: MoveModel, in the receiving app's
migration, changes only Django's record of where the model lives (the migration state). The moved
class names its old table in Meta.db_table, so the database is not touched, and backups taken before
and after the move restore alike."""
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

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        pass  # the table stays where it is

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def describe(self):
        return f"Move {self.from_app}.{self.name} here, keeping its table"

    @property
    def migration_name_fragment(self):
        return f"move_{self.name.lower()}"
