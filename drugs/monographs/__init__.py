"""The monograph file format, both ways: file -> data -> database -> data -> file."""
