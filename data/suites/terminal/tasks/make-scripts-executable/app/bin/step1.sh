#!/bin/bash
echo one
