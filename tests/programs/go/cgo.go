//go:build cgo

// cgo.go - the cgo build: dynamically linked against glibc, threads made by
// pthread_create; one call into C and back
package main

/*
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static int c_add(int a, int b) { return a + b; }

static void *c_thread(void *arg) { *(int *)arg *= 2; return NULL; }

static int c_pthread(int v) {
	pthread_t t;
	if (pthread_create(&t, NULL, c_thread, &v))
		return -1;
	pthread_join(t, NULL);
	return v;
}
*/
import "C"

import "fmt"

func cgoCheck() string {
	return fmt.Sprintf("on %d %d", C.c_add(40, 2), C.c_pthread(21))
}
