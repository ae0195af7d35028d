/* Unit tests of the emulated-timing detection (issue 12): numabench.accel= on the kernel
 * command line, nb_timing_detect's order of sources, NUMABENCH_EMULATED, and the host fields
 * of a results document. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "results.h"
#include "topo.h"

#include <string.h>

static void test_cmdline_accel(void **state)
{
	(void)state;
	char a[16];
	nb_cmdline_accel("console=ttyS0,115200 panic=-1 numabench.accel=tcg", a, sizeof(a));
	assert_string_equal(a, "tcg");
	nb_cmdline_accel("numabench.accel=tcg quiet numabench.accel=kvm\n", a, sizeof(a));
	assert_string_equal(a, "kvm"); /* the last one wins */
	nb_cmdline_accel("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro", a, sizeof(a));
	assert_string_equal(a, "");
	nb_cmdline_accel("xnumabench.accel=tcg numabench.accelx=tcg", a, sizeof(a));
	assert_string_equal(a, "");
	nb_cmdline_accel("", a, sizeof(a));
	assert_string_equal(a, "");
}

static void caps_with(struct nb_caps *c, const char *virt, const char *cmdline_accel)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->virt, virt);
	strcpy(c->cmdline_accel, cmdline_accel);
}

static void test_detect(void **state)
{
	(void)state;
	struct nb_caps c;
	char err[128];
	/* CPUID says TCG: emulated, whatever the command line says */
	caps_with(&c, "qemu-tcg", "");
	assert_int_equal(nb_timing_detect(&c, NULL, err, sizeof(err)), 0);
	assert_true(c.timing_emulated);
	assert_string_equal(c.accel, "tcg");
	assert_string_equal(c.timing_source, "cpuid");
	assert_non_null(strstr(c.timing_reason, "QEMU TCG: timings are emulated"));
	caps_with(&c, "qemu-tcg", "kvm");
	assert_int_equal(nb_timing_detect(&c, "", err, sizeof(err)), 0);
	assert_true(c.timing_emulated);
	/* KVM: virtualized, not emulated, even if the command line claims tcg */
	caps_with(&c, "kvm", "tcg");
	assert_int_equal(nb_timing_detect(&c, NULL, err, sizeof(err)), 0);
	assert_false(c.timing_emulated);
	assert_string_equal(c.accel, "kvm");
	/* no hypervisor leaf: the command line decides */
	caps_with(&c, "none", "tcg");
	assert_int_equal(nb_timing_detect(&c, NULL, err, sizeof(err)), 0);
	assert_true(c.timing_emulated);
	assert_string_equal(c.timing_source, "cmdline");
	assert_non_null(strstr(c.timing_reason, "numabench.accel=tcg"));
	caps_with(&c, "none", "");
	assert_int_equal(nb_timing_detect(&c, NULL, err, sizeof(err)), 0);
	assert_false(c.timing_emulated);
	assert_string_equal(c.accel, "none");
	caps_with(&c, "other", "bogus");
	assert_int_equal(nb_timing_detect(&c, NULL, err, sizeof(err)), 0);
	assert_false(c.timing_emulated);
	assert_string_equal(c.accel, "other");
	/* NUMABENCH_EMULATED overrides both ways, and says what was detected */
	caps_with(&c, "none", "");
	assert_int_equal(nb_timing_detect(&c, "1", err, sizeof(err)), 0);
	assert_true(c.timing_emulated);
	assert_string_equal(c.timing_source, "NUMABENCH_EMULATED");
	assert_non_null(strstr(c.timing_reason, "no hypervisor"));
	caps_with(&c, "qemu-tcg", "tcg");
	assert_int_equal(nb_timing_detect(&c, "0", err, sizeof(err)), 0);
	assert_false(c.timing_emulated);
	assert_string_equal(c.accel, "tcg");
	/* anything else is refused */
	caps_with(&c, "none", "");
	assert_int_equal(nb_timing_detect(&c, "yes", err, sizeof(err)), -1);
	assert_string_equal(err, "NUMABENCH_EMULATED=yes is not valid (valid: 0, 1)");
}

static void test_result_host(void **state)
{
	(void)state;
	struct nb_topo t;
	struct nb_caps c;
	char err[128];
	assert_int_equal(nb_topo_load(&t), 0);
	caps_with(&c, "qemu-tcg", "tcg");
	assert_int_equal(nb_timing_detect(&c, NULL, err, sizeof(err)), 0);
	char *argv[] = {"numabench", "run"};
	json_t *doc = nb_result_new(&t, &c, 2, argv);
	json_t *host = json_object_get(doc, "host");
	assert_true(json_is_true(json_object_get(host, "timing_emulated")));
	assert_string_equal(json_string_value(json_object_get(host, "accel")), "tcg");
	assert_string_equal(json_string_value(json_object_get(host, "timing_source")), "cpuid");
	assert_non_null(strstr(json_string_value(json_object_get(host, "timing_reason")),
			       "not hardware measurements"));
	json_decref(doc);
	nb_topo_free(&t);
}

/* arm64: /proc/cpuinfo's MIDR implementer and the device tree's root compatible (issue 23). */
static void test_arm_virt(void **state)
{
	(void)state;
	static const char tcg[] =
	    "processor\t: 0\nBogoMIPS\t: 2000.00\nFeatures\t: fp asimd\n"
	    "CPU implementer\t: 0x00\nCPU architecture: 8\nCPU part\t: 0x051\n";
	static const char n1[] = "processor\t: 0\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n";
	static const char virt[] = "linux,dummy-virt";		   /* with its NUL: sizeof */
	static const char altra[] = "ampere,mtjade\0ampere,altra"; /* two strings */
	static const char fake[] = "linux,dummy-virtx\0xlinux,dummy-virt";
	char v[32], src[16];
	nb_arm_virt(tcg, virt, sizeof(virt), v, sizeof(v), src, sizeof(src));
	assert_string_equal(v, "qemu-tcg");
	assert_string_equal(src, "midr");
	nb_arm_virt(tcg, NULL, 0, v, sizeof(v), src, sizeof(src));
	assert_string_equal(v, "qemu-tcg");
	/* a real cpu model on the virt board: KVM or TCG -cpu cortex-a72, the board says so */
	nb_arm_virt(n1, virt, sizeof(virt), v, sizeof(v), src, sizeof(src));
	assert_string_equal(v, "qemu-virt");
	assert_string_equal(src, "devicetree");
	nb_arm_virt(n1, "vendor,board\0linux,dummy-virt", 30, v, sizeof(v), src, sizeof(src));
	assert_string_equal(v, "qemu-virt");
	nb_arm_virt(n1, altra, sizeof(altra), v, sizeof(v), src, sizeof(src));
	assert_string_equal(v, "none");
	nb_arm_virt(n1, fake, sizeof(fake), v, sizeof(v), src, sizeof(src));
	assert_string_equal(v, "none");
	/* a truncated compatible (no NUL) still names the board */
	nb_arm_virt(NULL, virt, 16, v, sizeof(v), src, sizeof(src));
	assert_string_equal(v, "qemu-virt");
	nb_arm_virt(NULL, NULL, 0, v, sizeof(v), src, sizeof(src));
	assert_string_equal(v, "none");
	nb_arm_virt("CPU implementer\t: junk\n", NULL, 0, v, sizeof(v), src, sizeof(src));
	assert_string_equal(v, "none");

	struct nb_caps c;
	char err[128];
	memset(&c, 0, sizeof(c));
	strcpy(c.virt, "qemu-tcg");
	strcpy(c.virt_source, "midr");
	assert_int_equal(nb_timing_detect(&c, NULL, err, sizeof(err)), 0);
	assert_true(c.timing_emulated);
	assert_string_equal(c.accel, "tcg");
	assert_string_equal(c.timing_source, "midr");
	assert_non_null(strstr(c.timing_reason, "MIDR implementer 0x00"));
	/* the board alone: treated as emulated, until the command line names the accelerator */
	memset(&c, 0, sizeof(c));
	strcpy(c.virt, "qemu-virt");
	strcpy(c.virt_source, "devicetree");
	assert_int_equal(nb_timing_detect(&c, NULL, err, sizeof(err)), 0);
	assert_true(c.timing_emulated);
	assert_string_equal(c.timing_source, "devicetree");
	assert_non_null(strstr(c.timing_reason, "accelerator unknown"));
	strcpy(c.cmdline_accel, "kvm");
	assert_int_equal(nb_timing_detect(&c, NULL, err, sizeof(err)), 0);
	assert_false(c.timing_emulated);
	assert_string_equal(c.accel, "kvm");
	assert_string_equal(c.timing_source, "cmdline");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cmdline_accel),
	    cmocka_unit_test(test_detect),
	    cmocka_unit_test(test_arm_virt),
	    cmocka_unit_test(test_result_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
