package vigil.checks.saphanasr_package_test

import data.vigil.checks.saphanasr_package

installed(name, version) := {
	"name": name,
	"epoch": null,
	"version": version,
	"release": "150600.3.8.1",
	"arch": "noarch",
	"manager": "rpm",
	"installed_versions": [sprintf("%v-150600.3.8.1", [version])],
}

not_installed(name) := {"error": {"type": "package_not_installed", "message": sprintf("package %v is not installed", [name])}}

values := {"minimum": "0.162.0", "minimum_angi": "1.2.0"}

test_classic_passes if {
	r := saphanasr_package.result with input as {
		"facts": {"saphanasr": installed("SAPHanaSR", "0.162.3"), "saphanasr_angi": not_installed("SAPHanaSR-angi")},
		"values": values,
	}
	r.status == "passing"
}

test_angi_passes if {
	r := saphanasr_package.result with input as {
		"facts": {"saphanasr": not_installed("SAPHanaSR"), "saphanasr_angi": installed("SAPHanaSR-angi", "1.2.7")},
		"values": values,
	}
	r.status == "passing"
	r.message == "SAPHanaSR not installed, SAPHanaSR-angi 1.2.7"
}

test_old_warns if {
	r := saphanasr_package.result with input as {
		"facts": {"saphanasr": installed("SAPHanaSR", "0.155.0"), "saphanasr_angi": not_installed("SAPHanaSR-angi")},
		"values": values,
	}
	r.status == "warning"
}

test_neither_is_critical if {
	r := saphanasr_package.result with input as {
		"facts": {"saphanasr": not_installed("SAPHanaSR"), "saphanasr_angi": not_installed("SAPHanaSR-angi")},
		"values": values,
	}
	r.status == "critical"
}
