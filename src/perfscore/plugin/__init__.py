"""The plugin layer: the hook specifications, the plugin manager and the facade the engine
calls hooks through, the SDK area plugins are written with, and the built-in plugins.

It sits above scoring (hooks receive scored units) and below rules and find, which call it.
Plugins import what they need from :mod:`perfscore` (the public API), never from here.
"""
