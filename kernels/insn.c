/* numabench: a loop of a known instruction count, for the hardware-counter self-check. */
#include "kernels.h"

bool nb_insn_loop_exact(void)
{
#if defined(__x86_64__) || defined(__aarch64__)
	return true;
#else
	return false;
#endif
}

void nb_insn_loop(uint64_t n)
{
	uint64_t a = 0, b = 0;
	if (!n)
		return;
#if defined(__aarch64__)
	__asm__ volatile("1:\n\t"
			 "add %1, %1, #1\n\t"
			 "add %2, %2, #1\n\t"
			 "subs %0, %0, #1\n\t"
			 "b.ne 1b"
			 : "+r"(n), "+r"(a), "+r"(b)
			 :
			 : "cc");
#elif defined(__x86_64__)
	__asm__ volatile("1:\n\t"
			 "add $1, %1\n\t"
			 "add $1, %2\n\t"
			 "sub $1, %0\n\t"
			 "jnz 1b"
			 : "+r"(n), "+r"(a), "+r"(b)
			 :
			 : "cc");
#else
	(void)a, (void)b;
#endif
}
