/* valid.c - the valid static program the malformed ELF corpus is made from */
int main(void)
{
	return 0;
}
