"""Conductor (conductor-oss, Orkes): export, import, registration and the worker.

    _export.py   a task template as an HTTP workflow task plus its task definition
    _import.py   a template read back from such a task, a workflow, or our export
    _push.py     registering an export through the metadata API (`connector push`)
    _adapter.py  the engine adapter the registry loads
    _command.py  `connector worker --engine conductor` (options; starts the SDK's handler)
    worker.py    the worker itself (extra `conductor`: imports the SDK)

Nothing is imported here, so that the command line can read the worker's options cheaply.
"""
