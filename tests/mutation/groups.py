"""The modules that protect people's data and hours, in groups, each with the test files that may
reach it. A mutant of a group's module runs only those of the group's tests that call the mutated
function (mutmut's own map), so a group costs what its tests cost, not the whole suite. The runs are
on SQLite, so the race tests only PostgreSQL makes real (marked postgres) are not listed. A test
that reads the module's own source is deselected: the mutated copy carries mutmut's imports."""

WORKFLOW_TESTS = [
    "tests/hours/test_services.py", "tests/hours/test_revocation.py", "tests/hours/test_one_open_declaration.py",
    "tests/hours/test_filings.py", "tests/hours/test_deleted_meanwhile.py", "tests/hours/test_views_declaration.py",
    "tests/review/test_workflow.py", "tests/review/test_accept.py", "tests/review/test_stale_transition.py",
    "tests/review/test_views_case.py", "tests/review/test_audit_completeness.py",
    "tests/review/test_changes_since_rejection.py", "tests/portal/test_notify_channels.py",
]

GROUPS = {
    # Who may see, declare and review what. (accounts/access.py, the views' role guard, is a
    # decorator factory: mutmut 3 does not mutate nested functions, so it yields no mutants.)
    "jurisdiction": {
        "modules": ["workflow/jurisdiction.py"],
        "tests": [
            "tests/security/test_url_matrix.py", "tests/portal/test_menu_and_access.py",
            "tests/review/test_views_queues.py", "tests/review/test_todo_list.py", "tests/review/test_statistics.py",
            "tests/hours/test_staff_ledger.py", "tests/hours/test_filing_views.py", "tests/api/test_keys.py",
            "tests/certificates/test_print_page.py", "tests/review/test_periods_notifications_export.py",
        ],
    },
    "queues": {
        "modules": ["review/selectors.py"],
        "tests": [
            "tests/review/test_views_queues.py", "tests/review/test_todo_list.py", "tests/review/test_filters_fail_closed.py",
            "tests/review/test_my_decisions.py", "tests/review/test_case_navigation.py", "tests/review/test_batch_checks.py",
            "tests/review/test_case_panel.py", "tests/review/test_views_case.py", "tests/review/test_periods_notifications_export.py",
            "tests/review/test_accept.py",  # 受理: the 待办列表's 受理人 filter
            "tests/portal/test_messages_pages.py",  # 消息推送管理: the reminders sent in a clerk's area
        ],
    },
    # 校验规则: the automatic checks on a case, and the blocking ones that keep it out of a batch
    # approval. Apart from the queues, so that each group is recorded in one sitting.
    "checks": {
        "modules": ["review/checks.py"],
        "tests": [
            "tests/review/test_automatic_checks.py", "tests/review/test_batch_checks.py", "tests/review/test_case_panel.py",
            "tests/review/test_views_case.py",
            "tests/review/test_page_queries.py",  # a training has no rank; a shared file named
            "tests/review/test_reviewer_hours.py",  # the 校验 line of hours a reviewer determines
            "tests/hours/test_pushed_records.py",  # the check naming where a training base's hours came from
        ],
    },
    # The workflow: each transition's lock, check, transition and record, and its guards. The
    # runner (the pieces) and the transitions made of them are two groups on the same tests, so a
    # change to one reruns only its own mutants (the transitions' take an hour and a half).
    "workflow": {
        "modules": ["hours/transitions.py"],
        "tests": WORKFLOW_TESTS,
    },
    "runner": {
        "modules": ["workflow/runner.py"],
        "tests": WORKFLOW_TESTS,
    },
    # The batch decision of a clerk's selected cases, the case's zipped materials, the filing periods.
    "batch": {
        "modules": ["review/services.py"],
        "tests": [
            "tests/review/test_batch.py", "tests/review/test_batch_background.py", "tests/review/test_batch_checks.py",
            "tests/review/test_periods_notifications_export.py", "tests/review/test_views_case.py",
            "tests/portal/test_jobs.py",  # a large case's materials zipped by a background job
        ],
    },
    # The conversion table's evaluation and the year a declaration may be made for.
    "rules": {
        "modules": ["hours/rules/evaluation.py", "hours/years.py"],
        "tests": ["tests/rules", "tests/hours/test_rules_check.py", "tests/hours/test_summary.py",
                  "tests/hours/test_services.py", "tests/hours/test_views_declaration.py",
                  "tests/hours/test_previous_certificate.py"],
        # It reads the engine's imports, which a mutated copy extends with mutmut's own.
        "deselect": ["tests/rules/test_engine.py::test_engine_imports_only_the_standard_library_and_lower_layers"],
    },
    # What an uploaded file is, whatever its name says.
    "uploads": {
        "modules": ["hours/uploads.py"],
        "tests": ["tests/hours/test_uploads.py", "tests/hours/test_malformed_uploads.py", "tests/hours/test_views_evidence.py",
                  "tests/security/test_hostile_uploads.py", "tests/certificates/test_malformed_uploads.py"],
    },
    "masking": {
        "modules": ["core/masking.py"],
        "tests": ["tests/security/test_masking.py", "tests/portal/test_logging.py", "tests/accounts/test_validators.py",
                  "tests/hours/test_proxy_masking.py", "tests/review/test_my_decisions.py", "tests/hours/test_filing_views.py"],
    },
    "ratelimit": {
        "modules": ["core/ratelimit.py", "certificates/ratelimit.py"],
        "tests": ["tests/portal/test_ratelimit_counter.py", "tests/certificates/test_ratelimit.py",
                  "tests/certificates/test_bulk.py", "tests/accounts/test_signin_pace.py", "tests/api/test_api_limits.py",
                  "tests/accounts/test_password_recovery.py", "tests/portal/test_proxy.py", "tests/portal/test_settings.py"],
    },
    # A certificate's issue, its number, and its supersession or revocation.
    "certificates": {
        "modules": ["certificates/services.py"],
        "tests": ["tests/certificates/test_issue.py", "tests/certificates/test_revocation.py",
                  "tests/certificates/test_render_job.py", "tests/certificates/test_print_page.py",
                  "tests/certificates/test_record.py", "tests/certificates/test_verify.py", "tests/hours/test_revocation.py"],
    },
}
