/* tiny.c - the smallest valid program: _start calls exit(0) */
static volatile int data = 1;

void _start(void)
{
	__asm__ volatile("syscall" : : "a"(60), "D"(data - 1));
	__builtin_unreachable();
}
