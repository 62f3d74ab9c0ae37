#include "tf_lua.h"
void tf_open_pool(lua_State *L) { (void)L; }
