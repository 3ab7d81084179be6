/* objects.h - kernel objects behind file descriptors */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct file;

/* pipe.c */
int pipe_create(int flags, struct file **rd, struct file **wr);
bool file_is_pipe(struct file *f);
long pipe_get_size(struct file *f);
long pipe_set_size(struct file *f, unsigned long size);

/* eventfd.c */
int eventfd_create(unsigned initval, int flags, struct file **out);

/* timerfd.c */
int tfd_create(int clockid, int flags, struct file **out);
bool file_is_timerfd(struct file *f);
long tfd_settime(struct file *f, int flags, const void *unew, void *uold);
long tfd_gettime(struct file *f, void *ucur);

/* epoll.c */
int ep_create(int flags, struct file **out);
bool file_is_ep(struct file *f);
/* @f's last reference is gone: take it out of every epoll watching it */
void eventpoll_release(struct file *f);
long ep_ctl(struct file *ep, int op, int fd, struct file *target,
	    const void *uevent);
long ep_wait(struct file *ep, void *uevents, int maxevents, uint64_t deadline,
	     bool has_timeout);
