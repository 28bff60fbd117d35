/*
 * insncount: a QEMU TCG plugin that counts guest instructions.
 *
 * Debian ships no qemu-plugin.h, so this file declares the few parts of the
 * QEMU 7.2 plugin API (QEMU_PLUGIN_VERSION 1, include/qemu/qemu-plugin.h at
 * tag v7.2.0) that it uses. Build with plain gcc:
 *
 *   gcc -shared -fPIC -O2 -pthread -o insncount.so insncount.c
 *
 * Use:
 *
 *   qemu-system-x86_64 ... -icount shift=0,sleep=off \
 *       -plugin ./insncount.so,outfile=/tmp/count.txt,mark=0x4a1b20
 *
 * What is counted: at translation time every translation block (TB) gets an
 * inline "add n" on a 64-bit counter, where n is the number of guest
 * instructions in the TB; the add runs each time the TB starts executing. The
 * total is written when QEMU exits (for example when the guest writes to
 * isa-debug-exit, which calls exit()). A TB left early by an exception or an
 * I/O instruction still counts all its instructions, so the figure can be a
 * few instructions high per such exit; under -icount QEMU retranslates a TB
 * so that an I/O instruction ends it, which keeps this small.
 *
 * mark=ADDR (hexadecimal, up to 8 times) also records the count when a TB
 * starting at guest virtual address ADDR first executes: the count of all
 * instructions executed before it, give or take the instructions of that
 * one TB. Give the address of a function's first instruction, such as
 * main.main, to count instructions from reset to it.
 *
 * The counter is not atomic: use one vCPU (with -icount QEMU runs TCG
 * single-threaded anyway).
 *
 * profile=PATH also counts the executions of every translated TB and writes,
 * at exit, one line "tb 0x<VADDR> <INSNS> <EXECS> <TOTAL>" per TB start
 * address to PATH: the TB's instruction count, how often it ran and the
 * instructions those runs executed (translations at the same address are
 * summed; INSNS is the largest one's). It is an exact profile of where the
 * guest's instructions go, symbolised on the host (bench/startup/profile.go).
 *
 * ctl=FIFO takes snapshots while the guest runs: a thread reads lines from
 * the named pipe FIFO, each a path P, and for each writes the profile so far
 * to P.prof (with profile=) and then "insns <N>" (the count so far) to P,
 * through a rename, so that P appears complete and last; the count is taken
 * when the profile's counters are copied, before the slow part (sorting and
 * writing), which the guest keeps running through. The HTTP benchmark
 * snapshots one boot after two numbers of requests, so that the boot's own
 * work (and its variation) is in neither figure. The thread reads counters
 * the vCPU updates: a snapshot taken while the guest runs is off by the
 * instructions run during it; the benchmark takes them while the guest
 * waits for the host.
 *
 * Output, at exit: "mark 0x<ADDR> <N>" for each mark reached, then
 * "insns <N>" (the total), one per line, appended to the file named by
 * outfile= or, without it, through qemu_plugin_outs (shown with -d plugin).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- declarations from QEMU 7.2 include/qemu/qemu-plugin.h ---- */
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t; /* only passed through */
struct qemu_plugin_tb;

enum qemu_plugin_op {
	QEMU_PLUGIN_INLINE_ADD_U64,
};

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id,
					       struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index,
					    void *userdata);

enum qemu_plugin_cb_flags {
	QEMU_PLUGIN_CB_NO_REGS,
	QEMU_PLUGIN_CB_R_REGS,
	QEMU_PLUGIN_CB_RW_REGS,
};

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
					   qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      enum qemu_plugin_op op,
					      void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  qemu_plugin_vcpu_udata_cb_t cb,
					  enum qemu_plugin_cb_flags flags,
					  void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
				    qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);
/* ---- end of declarations ---- */

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

#define MAX_MARKS 8

struct mark {
	uint64_t addr;
	uint64_t insns; /* count when first reached */
	int reached;
};

static uint64_t insns;
static char *outfile;
static char *profile;
static char *ctl;

/* One translation of a TB (profile=). */
struct tbcount {
	uint64_t vaddr;
	uint64_t ninsns;
	uint64_t execs;
	struct tbcount *next;
};

static struct tbcount *tbs;
static struct mark marks[MAX_MARKS];
static int nmarks;

static void mark_exec(unsigned int vcpu, void *p)
{
	struct mark *m = p;
	(void)vcpu;
	if (!m->reached) {
		m->reached = 1;
		m->insns = insns;
	}
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	(void)id;
	uint64_t pc = qemu_plugin_tb_vaddr(tb);
	for (int i = 0; i < nmarks; i++) {
		/* Whether the count seen here includes this TB depends on
		 * the order QEMU emits callbacks in: at most one TB off. */
		if (marks[i].addr == pc && !marks[i].reached) {
			qemu_plugin_register_vcpu_tb_exec_cb(tb, mark_exec,
							     QEMU_PLUGIN_CB_NO_REGS,
							     &marks[i]);
		}
	}
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &insns, qemu_plugin_tb_n_insns(tb));
	if (profile) {
		struct tbcount *c = calloc(1, sizeof *c);
		if (c) {
			c->vaddr = pc;
			c->ninsns = qemu_plugin_tb_n_insns(tb);
			c->next = tbs;
			/* Published complete: the ctl thread walks the list. */
			__atomic_store_n(&tbs, c, __ATOMIC_RELEASE);
			qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
								 &c->execs, 1);
		}
	}
}

static int cmp_tbval(const void *a, const void *b)
{
	const struct tbcount *x = a, *y = b;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/*
 * write_profile writes the per-TB counts, merged by start address, to path
 * and returns the instruction count at the moment it copied them: it copies
 * the counters first (quick), then sorts and writes the copy, so that what
 * the guest runs meanwhile is in neither.
 */
static uint64_t write_profile(const char *path)
{
	size_t n = 0, k = 0;
	struct tbcount *head = __atomic_load_n(&tbs, __ATOMIC_ACQUIRE);
	for (struct tbcount *c = head; c; c = c->next)
		n++;
	struct tbcount *v = malloc((n + 1) * sizeof *v);
	if (!v) {
		fprintf(stderr, "insncount: no memory for the profile\n");
		return __atomic_load_n(&insns, __ATOMIC_RELAXED);
	}
	for (struct tbcount *c = head; c && k < n; c = c->next)
		v[k++] = *c;
	uint64_t count = __atomic_load_n(&insns, __ATOMIC_RELAXED);
	n = k;
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "insncount: cannot write the profile to %s\n", path);
		free(v);
		return count;
	}
	qsort(v, n, sizeof *v, cmp_tbval);
	for (size_t i = 0; i < n;) {
		uint64_t execs = 0, ninsns = 0, insnsum = 0;
		size_t j = i;
		for (; j < n && v[j].vaddr == v[i].vaddr; j++) {
			execs += v[j].execs;
			insnsum += v[j].execs * v[j].ninsns;
			if (v[j].ninsns > ninsns)
				ninsns = v[j].ninsns;
		}
		if (execs > 0)
			fprintf(f, "tb %#llx %llu %llu %llu\n", (unsigned long long)v[i].vaddr,
				(unsigned long long)ninsns, (unsigned long long)execs,
				(unsigned long long)insnsum);
		i = j;
	}
	fclose(f);
	free(v);
	return count;
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	char line[64 * (MAX_MARKS + 1)];
	size_t n = 0;
	(void)id;
	(void)p;
	if (profile)
		write_profile(profile);
	for (int i = 0; i < nmarks; i++) {
		if (marks[i].reached) {
			n += snprintf(line + n, sizeof line - n, "mark %#llx %llu\n",
				      (unsigned long long)marks[i].addr,
				      (unsigned long long)marks[i].insns);
		}
	}
	snprintf(line + n, sizeof line - n, "insns %llu\n", (unsigned long long)insns);
	if (outfile) {
		FILE *f = fopen(outfile, "a");
		if (f) {
			fputs(line, f);
			fclose(f);
			return;
		}
	}
	qemu_plugin_outs(line);
}

/* snapshot writes the profile so far to P.prof and the count to P. */
static void snapshot(const char *p)
{
	size_t n = strlen(p);
	char *path = malloc(n + 6);
	if (!path)
		return;
	uint64_t count;
	if (profile) {
		snprintf(path, n + 6, "%s.prof", p);
		count = write_profile(path);
	} else {
		count = __atomic_load_n(&insns, __ATOMIC_RELAXED);
	}
	snprintf(path, n + 6, "%s.tmp", p);
	FILE *f = fopen(path, "w");
	if (f) {
		fprintf(f, "insns %llu\n", (unsigned long long)count);
		fclose(f);
		rename(path, p);
	} else {
		fprintf(stderr, "insncount: cannot write the snapshot %s\n", path);
	}
	free(path);
}

/* ctl_thread takes a snapshot for each path read from the ctl FIFO. */
static void *ctl_thread(void *arg)
{
	(void)arg;
	FILE *f = fopen(ctl, "r");
	if (!f) {
		fprintf(stderr, "insncount: cannot open %s\n", ctl);
		return NULL;
	}
	char line[4096];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0])
			snapshot(line);
	}
	fclose(f);
	return NULL;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	(void)info;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "outfile=", 8) == 0) {
			outfile = strdup(argv[i] + 8);
		} else if (strncmp(argv[i], "profile=", 8) == 0) {
			profile = strdup(argv[i] + 8);
		} else if (strncmp(argv[i], "ctl=", 4) == 0) {
			ctl = strdup(argv[i] + 4);
		} else if (strncmp(argv[i], "mark=", 5) == 0 && nmarks < MAX_MARKS) {
			char *end;
			marks[nmarks].addr = strtoull(argv[i] + 5, &end, 16);
			if (*end != 0 || end == argv[i] + 5) {
				fprintf(stderr, "insncount: bad address in %s (want mark=0xHEX)\n", argv[i]);
				return -1;
			}
			nmarks++;
		} else {
			fprintf(stderr, "insncount: bad argument %s (want outfile=PATH, profile=PATH, ctl=FIFO or up to %d mark=0xADDR)\n", argv[i], MAX_MARKS);
			return -1;
		}
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	if (ctl) {
		pthread_t t;
		if (pthread_create(&t, NULL, ctl_thread, NULL) != 0) {
			fprintf(stderr, "insncount: cannot start the ctl thread\n");
			return -1;
		}
		pthread_detach(t);
	}
	return 0;
}
