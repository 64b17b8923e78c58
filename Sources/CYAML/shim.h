#ifndef STACK_CYAML_SHIM_H
#define STACK_CYAML_SHIM_H
#include <yaml.h>
#endif
