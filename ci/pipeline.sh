#!/usr/bin/env bash
# The pipeline's steps, written once for every CI: the GitHub workflows (.github/workflows/) call it, and a GitLab CI
# or Jenkins job calls it the same way (docs/ci.md). Run it from the repository root after `make install`, with the
# Pulumi CLI on PATH and logged in to the stack's backend (PULUMI_ACCESS_TOKEN, or PULUMI_BACKEND_URL):
#
#   ci/pipeline.sh pull-request   preview (policy pack), check-plan, preflight: what the change does, before merging
#   ci/pipeline.sh deploy         one preview saved as a plan, check-plan on that preview, `pulumi up --plan` of that
#                                 same plan (nothing else is applied), then verify (also after a failed up)
#   ci/pipeline.sh drift          Okta: `pulumi preview --refresh --expect-no-changes`; Talend: verify
#
# Settings come from the environment only; secrets are never arguments and never printed:
#   STACK                   required: the stack (its settings in Pulumi.$STACK.yaml)
#   OKTA_API_TOKEN          the Okta token (read-only for pull-request, admin for deploy and drift)
#   TALEND_SCIM_TOKEN, TALEND_API_TOKEN, TALEND_TOKEN_OWNER     verify's (docs/pull-requests.md)
#   ALLOW_UNASSIGN, ALLOW_MASS_DEACTIVATION                    non-empty: the override was given deliberately
#   MAX_DEACTIVATIONS (10), MAX_PUSHES (no limit)               preflight's limits
#   REPORTS (pipeline-reports)                                 where the reports go: preview.txt, check-plan.txt,
#                                                              preflight.md, verify.txt, verify.json, drift.txt
# Exit 0 when every step passed; 1 when a step failed (the later steps still ran where they could; deploy never
# runs `pulumi up` after a failed preview or check-plan); 2 when the pipeline could not run (bad usage, no STACK).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
venv=${TALEND_OKTA_VENV:-$repo/.venv}
reports=${REPORTS:-pipeline-reports}
policy=$repo/policy
failed=()
could_not_run=0

say() { echo "pipeline: $*"; }

talend-okta() { "$venv/bin/talend-okta" "$@"; }

# step NAME FUNCTION: run one step; a failure is recorded (exit 2 as "could not run") and the pipeline goes on.
step() {
	local code=0
	say "$1"
	"$2" || code=$?
	if [ "$code" -ne 0 ]; then
		say "$1: failed (exit $code)"
		failed+=("$1")
		if [ "$code" -eq 2 ]; then could_not_run=1; fi
	fi
	return "$code"
}

finish() {
	if [ ${#failed[@]} -eq 0 ]; then
		say "$mode: every step passed"
		exit 0
	fi
	local names
	names=$(printf ', %s' "${failed[@]}")
	say "$mode: failed: ${names:2}"
	if [ "$could_not_run" -eq 1 ]; then exit 2; fi
	exit 1
}

# --- The steps -----------------------------------------------------------------------------------------------------

review_preview() { # what the change does to Okta objects, with the identity policy pack (the PR comment)
	pulumi preview --stack "$STACK" --diff --policy-pack "$policy" --color never --non-interactive 2>&1 |
		tee "$reports/preview.txt"
}

preview_to_check() { # the plan check-plan reads; a pull request never applies it
	pulumi preview --stack "$STACK" --json --non-interactive >"$reports/preview.json"
}

planned_preview() { # the deploy's one preview: its JSON for check-plan, its plan for `pulumi up --plan`
	pulumi preview --stack "$STACK" --json --save-plan "$reports/saved-plan.json" --policy-pack "$policy" \
		--non-interactive >"$reports/preview.json"
}

check_plan() { # refuses a plan that unassigns people the stack config does not say (docs/pull-requests.md)
	talend-okta check-plan "$reports/preview.json" --config "Pulumi.$STACK.yaml" ${ALLOW_UNASSIGN:+--allow-unassign} |
		tee "$reports/check-plan.txt"
}

up_as_planned() { # Pulumi stops before any operation the checked plan does not contain
	pulumi up --stack "$STACK" --plan "$reports/saved-plan.json" --policy-pack "$policy" --yes --skip-preview --diff \
		--color never --non-interactive 2>&1 | tee "$reports/up.txt"
}

stack_outputs() {
	pulumi stack output --stack "$STACK" --json >"$reports/stack-outputs.json"
}

deployed_outputs() { # a failed first `pulumi up` saves no outputs: verify's come from the state and the stack config
	stack_outputs || return
	pulumi stack export --stack "$STACK" |
		"$venv/bin/python" -m talend_okta.stack_state --config "Pulumi.$STACK.yaml" \
			--outputs "$reports/stack-outputs.json"
}

preflight() {
	talend-okta preflight --config "Pulumi.$STACK.yaml" --stack-outputs "$reports/stack-outputs.json" \
		--markdown "$reports/preflight.md" --max-deactivations "${MAX_DEACTIVATIONS:-10}" \
		${ALLOW_MASS_DEACTIVATION:+--allow-mass-deactivation} ${MAX_PUSHES:+--max-pushes="$MAX_PUSHES"}
}

verify() {
	talend-okta verify --stack-outputs "$reports/stack-outputs.json" --json "$reports/verify.json" \
		${TALEND_TOKEN_OWNER:+--ignore-user "$TALEND_TOKEN_OWNER"} | tee "$reports/verify.txt"
}

okta_drift() { # exit 7 (Pulumi CLI >= 3.226.1) when someone changed Okta by hand; the diff says what
	pulumi preview --stack "$STACK" --refresh --expect-no-changes --diff --color never --non-interactive 2>&1 |
		tee "$reports/drift.txt"
}

# --- The pipelines -------------------------------------------------------------------------------------------------

mode=${1:-}
if [ $# -ne 1 ] || ! [[ $mode =~ ^(pull-request|deploy|drift)$ ]]; then
	echo "ci/pipeline.sh: error: give one of pull-request, deploy, drift (got: ${*:-nothing})" >&2
	exit 2
fi
if [ -z "${STACK:-}" ]; then
	echo "ci/pipeline.sh: error: STACK is not set: the stack to work on, its settings in Pulumi.<STACK>.yaml" >&2
	exit 2
fi
if [ ! -f "Pulumi.$STACK.yaml" ]; then
	echo "ci/pipeline.sh: error: no Pulumi.$STACK.yaml here: run it from the repository root (STACK=$STACK)" >&2
	exit 2
fi
mkdir -p "$reports"

case $mode in
pull-request)
	step "pulumi preview" review_preview || true
	if step "pulumi preview --json" preview_to_check; then step "talend-okta check-plan" check_plan || true; fi
	if step "stack outputs of the last deployment" stack_outputs; then step "talend-okta preflight" preflight || true; fi
	;;
deploy)
	# check-plan and `pulumi up` work on one preview: `up --plan` refuses any step the checked plan lacks, so what
	# was checked is what is applied. A refused plan deploys nothing.
	step "pulumi preview --save-plan" planned_preview || finish
	step "talend-okta check-plan" check_plan || finish
	step "pulumi up --plan" up_as_planned || true
	# verify runs after a failed `pulumi up` too: on a first deploy its report lists the console steps that remain.
	if step "stack outputs" deployed_outputs; then step "talend-okta verify" verify || true; fi
	;;
drift)
	step "Okta drift: pulumi preview --refresh --expect-no-changes" okta_drift || true
	if step "stack outputs" stack_outputs; then step "Talend drift: talend-okta verify" verify || true; fi
	;;
esac
finish
