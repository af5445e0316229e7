"""Load tests of the service with locust (``cbcs loadtest``): one locustfile per scenario.

Locust runs on gevent, which must patch the standard library before anything else is
imported, so the scenarios run in a process of their own (``locust -f`` on a file of this
package); the command that starts them is :mod:`cbcs.commands.loadtest`.
"""
