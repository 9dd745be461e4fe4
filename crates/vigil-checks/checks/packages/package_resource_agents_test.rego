package vigil.checks.package_resource_agents_test

import data.vigil.checks.package_resource_agents

test_current_passes if {
	r := package_resource_agents.result with input as {
		"facts": {
			"packages": {
				"resource-agents": "4.8.0.1"
			}
		},
		"values": {
			"minimum": "4.8.0"
		}
	}
	r.status == "passing"
}

test_old_warns if {
	r := package_resource_agents.result with input as {
		"facts": {
			"packages": {
				"resource-agents": "0.1"
			}
		},
		"values": {
			"minimum": "4.8.0"
		}
	}
	r.status == "warning"
}

test_missing_warns if {
	r := package_resource_agents.result with input as {
		"facts": {
			"packages": {}
		},
		"values": {
			"minimum": "4.8.0"
		}
	}
	r.status == "warning"
}
