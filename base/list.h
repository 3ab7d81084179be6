/* list.h - intrusive doubly linked lists */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct list_node {
	struct list_node *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

static inline void list_init(struct list_node *h)
{
	h->next = h->prev = h;
}

static inline bool list_empty(const struct list_node *h)
{
	return h->next == h;
}

static inline void __list_add(struct list_node *n, struct list_node *prev,
			      struct list_node *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

static inline void list_add_head(struct list_node *h, struct list_node *n)
{
	__list_add(n, h, h->next);
}

static inline void list_add_tail(struct list_node *h, struct list_node *n)
{
	__list_add(n, h->prev, h);
}

static inline void list_del(struct list_node *n)
{
	n->next->prev = n->prev;
	n->prev->next = n->next;
	n->next = n->prev = n;
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)

#define list_for_each(h, it) for ((it) = (h)->next; (it) != (h); (it) = (it)->next)

#define list_for_each_safe(h, it, tmp)                               \
	for ((it) = (h)->next, (tmp) = (it)->next; (it) != (h); \
	     (it) = (tmp), (tmp) = (it)->next)
