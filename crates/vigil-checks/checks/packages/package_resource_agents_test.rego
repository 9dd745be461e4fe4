package vigil.checks.package_resource_agents_test

import data.vigil.checks.package_resource_agents

# package_version's answer, as the agent gives it from rpm.
installed(version) := {
	"name": "resource-agents",
	"epoch": null,
	"version": version,
	"release": "150600.3.3.1",
	"arch": "x86_64",
	"manager": "rpm",
	"installed_versions": [sprintf("%v-150600.3.3.1", [version])],
}

not_installed := {"error": {"type": "package_not_installed", "message": "package resource-agents is not installed"}}

test_current_passes if {
	r := package_resource_agents.result with input as {"facts": {"resource_agents": installed("4.13.0+git30.ae50f94f")}, "values": {"minimum": "4.8.0"}}
	r.status == "passing"
	r.observed == "4.13.0+git30.ae50f94f"
}

test_old_warns if {
	r := package_resource_agents.result with input as {"facts": {"resource_agents": installed("4.3.0")}, "values": {"minimum": "4.8.0"}}
	r.status == "warning"
}

test_not_installed_is_critical if {
	r := package_resource_agents.result with input as {"facts": {"resource_agents": not_installed}, "values": {"minimum": "4.8.0"}}
	r.status == "critical"
	r.message == "resource-agents is not installed"
}
