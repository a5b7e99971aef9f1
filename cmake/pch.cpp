// Carrier for the shared precompiled header; see CMakeLists.txt.
