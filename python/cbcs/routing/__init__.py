"""Routing: target expressions, workflow steps, the engine that offers tasks to agents, SLA statistics."""
