/* usercopy.S - copies through guest pointers that recover from faults */

	.text

/*
 * size_t __copy_user(void *dst, const void *src, size_t n)
 * Returns the number of bytes NOT copied (0 on success). A fault at the
 * rep movsb is sent to its fixup by usercopy_fixup(): rcx still holds
 * the count left.
 */
	.globl	__copy_user
	.type	__copy_user, @function
__copy_user:
	mov	%rdx, %rcx
	.globl	__copy_user_fault
__copy_user_fault:
	rep movsb
	xor	%eax, %eax
	ret
	.globl	__copy_user_fixup
__copy_user_fixup:
	mov	%rcx, %rax
	ret
	.size	__copy_user, .-__copy_user

/* size_t __clear_user(void *dst, size_t n): bytes not cleared */
	.globl	__clear_user
	.type	__clear_user, @function
__clear_user:
	mov	%rsi, %rcx
	xor	%eax, %eax
	.globl	__clear_user_fault
__clear_user_fault:
	rep stosb
	xor	%eax, %eax
	ret
	.globl	__clear_user_fixup
__clear_user_fixup:
	mov	%rcx, %rax
	ret
	.size	__clear_user, .-__clear_user

/*
 * long __strncpy_user(char *dst, const char *src, size_t n)
 * Copies up to n bytes, stopping after a NUL. Returns the length without
 * the NUL, n if no NUL was found in n bytes, or -14 (-EFAULT).
 */
	.globl	__strncpy_user
	.type	__strncpy_user, @function
__strncpy_user:
	xor	%eax, %eax
1:	cmp	%rdx, %rax
	je	2f
	.globl	__strncpy_user_fault
__strncpy_user_fault:
	movzbl	(%rsi,%rax), %ecx		/* the only access that may fault */
	movb	%cl, (%rdi,%rax)
	test	%cl, %cl
	jz	2f
	inc	%rax
	jmp	1b
2:	ret
	.globl	__strncpy_user_fixup
__strncpy_user_fixup:
	mov	$-14, %rax
	ret
	.size	__strncpy_user, .-__strncpy_user


	.text
/*
 * long __cmpxchg_user32(uint32_t *uaddr, uint32_t old, uint32_t new)
 * An atomic compare-and-exchange on guest memory (futexes). Returns the
 * value found (zero-extended), or -14 (-EFAULT).
 */
	.globl	__cmpxchg_user32
	.type	__cmpxchg_user32, @function
__cmpxchg_user32:
	mov	%esi, %eax
	.globl	__cmpxchg_user32_fault
__cmpxchg_user32_fault:
	lock cmpxchg %edx, (%rdi)
	ret
	.globl	__cmpxchg_user32_fixup
__cmpxchg_user32_fixup:
	mov	$-14, %rax
	ret
	.size	__cmpxchg_user32, .-__cmpxchg_user32


	.text
/*
 * long __xrstor_checked(void *area, uint64_t mask): XRSTOR (standard
 * format) from a kernel copy of a guest's signal frame. A malformed
 * header faults (#GP); the fixup returns -14 (-EFAULT) instead.
 */
	.globl	__xrstor_checked
	.type	__xrstor_checked, @function
__xrstor_checked:
	mov	%rsi, %rax
	mov	%rsi, %rdx
	shr	$32, %rdx
	.globl	__xrstor_checked_fault
__xrstor_checked_fault:
	xrstor64 (%rdi)
	xor	%eax, %eax
	ret
	.globl	__xrstor_checked_fixup
__xrstor_checked_fixup:
	mov	$-14, %rax
	ret
	.size	__xrstor_checked, .-__xrstor_checked

	.section .note.GNU-stack, "", @progbits
