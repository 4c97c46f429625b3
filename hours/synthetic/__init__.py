"""A synthetic province at benchmark scale: one provincial HR bureau with the city bureaus below it,
supervising departments, units (up to three levels deep) of every nature, one administrator per
unit and department, clerks per bureau, professionals with valid and unique 身份证号码 and mobile
numbers, confirmed memberships, and N declarations spread over every review state with their year
records, training items and review steps.

Speed comes from writing rows the way no service would: organisations get their treebeard paths
computed here (steplen 4, alphabet 0-9A-Z) instead of one add_child per row; rows are written in
batches of B declarations, one transaction per batch, with no save() and no signals (COPY on
PostgreSQL, bulk_create elsewhere, see writer.py); all accounts share one precomputed hash of the demo
password. The state field is protected, which only forbids changing it on a loaded instance; rows
written here carry their state from the start. The steps (history.py) are the ones hours/transitions.py would have
recorded for the same history, and the fields it sets (current_org, waiting_since, decided_at,
rejection_reason, pledged_at) agree with them.

Re-running adds another province: credit codes, ID numbers and phone numbers are checked against
the ones already stored, staff usernames carry a run number (syn1-, syn2-, ...), tree roots start
after the last existing root, and business numbers follow hours/services.py (creation day + the
declaration's id), so nothing clashes with earlier runs or with the demo.
"""
