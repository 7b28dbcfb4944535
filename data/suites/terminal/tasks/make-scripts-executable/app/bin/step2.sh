#!/bin/bash
echo two
