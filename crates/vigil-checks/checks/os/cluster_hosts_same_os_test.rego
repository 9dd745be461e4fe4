package vigil.checks.cluster_hosts_same_os_test

import data.vigil.checks.cluster_hosts_same_os

test_same_passes if {
	r := cluster_hosts_same_os.result with input as {
		"hosts": [
			{
				"os_version": "15-SP5"
			},
			{
				"os_version": "15-SP5"
			}
		]
	}
	r.status == "passing"
}

test_mixed_warns if {
	r := cluster_hosts_same_os.result with input as {
		"hosts": [
			{
				"os_version": "15-SP5"
			},
			{
				"os_version": "15-SP4"
			}
		]
	}
	r.status == "warning"
}
