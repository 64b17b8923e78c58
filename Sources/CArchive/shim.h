#ifndef STACK_CARCHIVE_SHIM_H
#define STACK_CARCHIVE_SHIM_H
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

/* File-type macros of archive_entry.h as plain values. */
static inline unsigned int stack_AE_IFREG(void) { return AE_IFREG; }
static inline unsigned int stack_AE_IFDIR(void) { return AE_IFDIR; }
static inline unsigned int stack_AE_IFLNK(void) { return AE_IFLNK; }
static inline unsigned int stack_AE_IFCHR(void) { return AE_IFCHR; }
static inline unsigned int stack_AE_IFBLK(void) { return AE_IFBLK; }
static inline unsigned int stack_AE_IFIFO(void) { return AE_IFIFO; }
static inline unsigned int stack_AE_IFSOCK(void) { return AE_IFSOCK; }
static inline unsigned int stack_AE_IFMT(void) { return AE_IFMT; }
#endif
